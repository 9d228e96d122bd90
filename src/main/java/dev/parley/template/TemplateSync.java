package dev.parley.template;

import dev.parley.channel.Channel;
import dev.parley.conversation.Committer;
import dev.parley.http.ApiException;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.ProviderException;
import dev.parley.provider.whatsapp.WhatsAppProvider;
import dev.parley.store.ChannelStore;
import dev.parley.store.TemplateStore;
import dev.parley.store.TemplateStore.ProviderTemplate;
import dev.parley.store.TemplateStore.SyncCounts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a WhatsApp channel's template list from the provider ({@code GET /{version}/{waba_id}/message_templates},
 * every page) into {@code templates}: added, updated, and removed when the provider no longer lists them, in one
 * transaction. A provider failure changes nothing and is recorded in the channel's health ({@code last_error}).
 */
public final class TemplateSync {
  private static final Logger log = LoggerFactory.getLogger(TemplateSync.class);

  private final Pool pool;
  private final Committer committer;
  private final Function<Channel, Future<JsonArray>> provider;
  private final TemplateStore templates = new TemplateStore();

  /** @param provider lists a channel's templates as the provider answers them (WhatsAppGraph::templates) */
  public TemplateSync(Pool pool, Committer committer, Function<Channel, Future<JsonArray>> provider) {
    this.pool = pool;
    this.committer = committer;
    this.provider = provider;
  }

  /** A channel whose templates can be synced: WhatsApp, with an access token and a WABA id. */
  public static boolean syncable(Channel channel) {
    return WhatsAppProvider.NAME.equals(channel.provider())
        && channel.secrets().get(ChannelSecrets.ACCESS_TOKEN) != null
        && channel.secrets().get(ChannelSecrets.WABA_ID) != null;
  }

  /**
   * Syncs one channel. Fails with {@link ApiException} {@code 400 templates_unsupported} (not WhatsApp) or
   * {@code 400 missing_credentials}, or with the {@link ProviderException} of a failed provider call.
   */
  public Future<SyncCounts> sync(Channel channel) {
    if (!WhatsAppProvider.NAME.equals(channel.provider())) {
      return Future.failedFuture(new ApiException(400, "templates_unsupported",
          "only WhatsApp channels have message templates"));
    }
    if (!syncable(channel)) {
      return Future.failedFuture(new ApiException(400, "missing_credentials",
          "syncing templates needs the channel's credentials.access_token and credentials.waba_id"));
    }
    return provider.apply(channel)
        .recover(failure -> ChannelStore.recordError(pool, channel.id(), "template sync: " + describe(failure),
                Instant.now())
            .transform(recorded -> Future.<JsonArray>failedFuture(failure)))
        .compose(listed -> committer.transaction((tx, changes) ->
            templates.replace(tx, channel.organizationId(), channel.id(), parse(channel, listed))))
        .onSuccess(counts -> log.info("templates of channel {} synced: {}", channel.id(), counts.toJson().encode()));
  }

  /** The provider's templates, one per name and language (the last listed wins); unusable entries skipped. */
  static List<ProviderTemplate> parse(Channel channel, JsonArray listed) {
    Map<String, ProviderTemplate> byKey = new LinkedHashMap<>();
    for (Object item : listed) {
      if (!(item instanceof JsonObject template) || !(template.getValue("name") instanceof String name)
          || name.isBlank() || !(template.getValue("language") instanceof String language) || language.isBlank()) {
        log.warn("channel {}: skipped a listed template without a name or language", channel.id());
        continue;
      }
      JsonArray components = template.getValue("components") instanceof JsonArray array ? array : new JsonArray();
      String format = template.getValue("parameter_format") instanceof String f ? f.toUpperCase(Locale.ROOT) : null;
      if (!"NAMED".equals(format) && !"POSITIONAL".equals(format)) {
        format = TemplateDefinition.inferParameterFormat(components);
      }
      Object id = template.getValue("id");
      String status = template.getValue("status") instanceof String s ? s.toUpperCase(Locale.ROOT) : "UNKNOWN";
      String category = template.getValue("category") instanceof String c ? c.toUpperCase(Locale.ROOT) : null;
      byKey.put(name + "\u0000" + language, new ProviderTemplate(id == null ? null : id.toString(), name, language,
          category, status, format, components));
    }
    return new ArrayList<>(byKey.values());
  }

  static String describe(Throwable failure) {
    if (failure instanceof ProviderException provider) {
      return provider.getMessage();
    }
    return failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
  }
}

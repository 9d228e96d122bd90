package dev.parley.template;

import dev.parley.auth.Principal;
import dev.parley.channel.Channel;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.provider.ProviderException;
import dev.parley.store.ChannelStore;
import dev.parley.store.TemplateStore;
import dev.parley.store.TemplateStore.ListFilter;
import dev.parley.store.TemplateStore.TemplateRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code /api/v1/templates}: every user and service of the organization lists and reads its channels' WhatsApp
 * templates (as last synced from the provider) and previews one filled in with parameters, with the checks a send
 * makes ({@link TemplateCatalog}). Admins and services sync a channel's templates on demand
 * ({@code POST /api/v1/channels/{id}/templates/sync}); {@link TemplateSyncVerticle} also syncs them periodically.
 */
public final class TemplateRoutes implements Routes {
  private final Pool pool;
  private final ChannelStore channels;
  private final TemplateSync sync;
  private final TemplateCatalog catalog;
  private final TemplateStore templates = new TemplateStore();

  public TemplateRoutes(Pool pool, ChannelStore channels, TemplateSync sync, TemplateCatalog catalog) {
    this.pool = pool;
    this.channels = channels;
    this.sync = sync;
    this.catalog = catalog;
  }

  @Override
  public void mount(Router api) {
    api.get("/templates").handler(this::list);
    api.post("/templates/preview").handler(this::preview);
    api.get("/templates/:id").handler(this::read);
    api.post("/channels/:id/templates/sync").handler(this::sync);
  }

  /** A template as the API answers it: the row and what a send fills in ({@code parameters}). */
  static JsonObject toJson(TemplateRow row) {
    return row.toJson().put("parameters",
        TemplateDefinition.of(row.components(), row.parameterFormat()).parametersJson());
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    var params = ctx.request();
    String status = params.getParam("status");
    if (status != null && !status.matches("[A-Za-z_]{1,40}")) {
      throw ApiException.invalid("status must be a provider status such as APPROVED or PENDING");
    }
    String q = params.getParam("q");
    if (q != null && q.length() > 200) {
      throw ApiException.invalid("q is longer than 200 characters");
    }
    var filter = new ListFilter(Api.idParam(ctx, "channel_id"),
        status == null ? null : status.toUpperCase(Locale.ROOT), emptyToNull(params.getParam("name")),
        emptyToNull(params.getParam("language")), q == null || q.isBlank() ? null : q.strip());
    Api.answer(ctx, 200, templates.list(pool, caller.organizationId(), filter, page.key(0, text -> text),
            page.key(1, text -> text), page.key(2, UUID::fromString), page.limit() + 1)
        .map(rows -> page.answer(rows, TemplateRoutes::toJson,
            last -> Page.cursor(last.name(), last.language(), last.id().toString()))));
  }

  private void read(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "template");
    Api.answer(ctx, 200, templates.get(pool, caller.organizationId(), id)
        .map(found -> toJson(found.orElseThrow(() -> ApiException.notFound("template")))));
  }

  /** {@code {"channel_id","template":{…}}} → the rendered template, or the error a send would get. */
  private void preview(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    JsonObject body = Api.body(ctx);
    UUID channelId = Api.id(body.getValue("channel_id"), "channel_id must be a channel id");
    if (channelId == null) {
      throw ApiException.invalid("channel_id is required");
    }
    if (!(body.getValue("template") instanceof JsonObject template)) {
      throw ApiException.invalid("template must be an object: {\"name\",\"language\":{\"code\"},\"components\":[…]}");
    }
    Api.answer(ctx, 200, channels.view(caller.organizationId(), channelId)
        .compose(found -> {
          found.orElseThrow(() -> ApiException.notFound("channel"));
          return catalog.resolve(pool, caller.organizationId(), channelId, template);
        })
        .map(RenderedTemplate::toJson));
  }

  private void sync(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    if (caller.isUser() && !caller.isAdmin()) {
      throw ApiException.forbidden("only an admin or a service may sync templates");
    }
    UUID id = Api.uuidParam(ctx, "id", "channel");
    Api.answer(ctx, 200, channels.find(id)
        .compose(found -> {
          Channel channel = found.filter(c -> c.organizationId().equals(caller.organizationId()))
              .orElseThrow(() -> ApiException.notFound("channel"));
          return sync.sync(channel);
        })
        .map(counts -> counts.toJson().put("channel_id", id.toString()))
        .recover(TemplateRoutes::translate));
  }

  private static <T> Future<T> translate(Throwable failure) {
    return Future.failedFuture(failure instanceof ProviderException provider
        ? new ApiException(502, "provider_error", "the provider did not list the templates: " + provider.getMessage())
        : failure);
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}

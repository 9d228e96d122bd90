package dev.parley.channel;

import dev.parley.auth.Principal;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.Provider;
import dev.parley.provider.ProviderRegistry;
import dev.parley.store.ChannelStore;
import dev.parley.store.ChannelStore.ChannelView;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/v1/channels}: everyone in the organization may list and read its channels with their status
 * and health; admins connect, rename, (de)activate them and replace credentials. Credentials are write-only:
 * answers only say which are set ({@code credentials_set}). Webhook routing caches a channel for up to 5 s, so
 * a deactivation applies to webhooks within that time.
 */
public final class ChannelRoutes implements Routes {
  private static final Set<String> STATUSES = Set.of("active", "inactive");

  private final ChannelStore channels;
  private final ProviderRegistry providers;

  public ChannelRoutes(ChannelStore channels, ProviderRegistry providers) {
    this.channels = channels;
    this.providers = providers;
  }

  @Override
  public void mount(Router api) {
    api.get("/channels").handler(this::list);
    api.get("/channels/:id").handler(this::read);
    api.post("/channels").handler(this::create);
    api.patch("/channels/:id").handler(this::update);
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    String status = ctx.request().getParam("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ApiException.invalid("status must be active or inactive");
    }
    Api.answer(ctx, 200, channels.list(caller.organizationId(), ctx.request().getParam("provider"), status,
            page.key(0, OffsetDateTime::parse), page.key(1, UUID::fromString), page.limit() + 1)
        .map(rows -> page.answer(rows, ChannelView::toJson,
            last -> Page.cursor(last.createdAt().toString(), last.id().toString()))));
  }

  private void read(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Api.answer(ctx, 200, channels.view(caller.organizationId(), Api.uuidParam(ctx, "id", "channel"))
        .map(found -> found.orElseThrow(() -> ApiException.notFound("channel")).toJson()));
  }

  private void create(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    JsonObject body = Api.body(ctx);
    String providerName = Api.requiredString(body, "provider", 40);
    Provider provider = providers.find(providerName)
        .orElseThrow(() -> new ApiException(400, "unknown_provider", "no provider is called " + providerName));
    String name = Api.requiredString(body, "name", 200).trim();
    String externalId = Api.requiredString(body, "external_id", 200).trim();
    String displayAddress = optionalString(body, "display_address");
    JsonObject credentials = credentials(provider, body.getValue("credentials"));
    for (String required : provider.requiredCredentials()) {
      if (!(credentials.getValue(required) instanceof String)) {
        throw new ApiException(400, "missing_credentials", "a " + providerName + " channel needs credentials."
            + required);
      }
    }
    var channel = new Channel(UUID.randomUUID(), admin.organizationId(), providerName, name, externalId, true,
        new ChannelSecrets(credentials));
    Api.answer(ctx, 201, channels.create(channel, displayAddress).map(ChannelView::toJson).recover(ChannelRoutes::translate));
  }

  private void update(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    UUID id = Api.uuidParam(ctx, "id", "channel");
    JsonObject body = Api.body(ctx);
    String name = body.containsKey("name") ? Api.requiredString(body, "name", 200).trim() : null;
    String displayAddress = optionalString(body, "display_address");
    Object status = body.getValue("status");
    if (body.containsKey("status") && !(status instanceof String s && STATUSES.contains(s))) {
      throw ApiException.invalid("status must be active or inactive");
    }
    // the provider (and so which credentials are allowed) is read only when credentials change
    Future<JsonObject> credentials = body.containsKey("credentials")
        ? channels.view(admin.organizationId(), id).map(found -> checkedChange(
            providers.get(found.orElseThrow(() -> ApiException.notFound("channel")).provider()), body.getValue("credentials")))
        : Future.succeededFuture();
    Api.answer(ctx, 200, credentials
        .compose(change -> channels.update(admin.organizationId(), id, name, displayAddress, (String) status, change))
        .map(updated -> updated.orElseThrow(() -> ApiException.notFound("channel")).toJson()));
  }

  /** A credentials change: known names only, and the required ones may be replaced but not removed. */
  private static JsonObject checkedChange(Provider provider, Object value) {
    JsonObject change = credentials(provider, value);
    for (String required : provider.requiredCredentials()) {
      if (change.containsKey(required) && change.getValue(required) == null) {
        throw new ApiException(400, "missing_credentials", "credentials." + required + " cannot be removed");
      }
    }
    return change;
  }

  /** The credentials object: only names the provider knows, each a non-empty string (or null to remove it). */
  private static JsonObject credentials(Provider provider, Object value) {
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject credentials)) {
      throw ApiException.invalid("credentials must be an object");
    }
    for (String field : credentials.fieldNames()) {
      if (!provider.knownCredentials().contains(field)) {
        throw ApiException.invalid("a " + provider.name() + " channel has no credential called " + field);
      }
      Object secret = credentials.getValue(field);
      if (secret != null && (!(secret instanceof String text) || text.isBlank() || text.length() > 4096)) {
        throw ApiException.invalid("credentials." + field + " must be a non-empty string");
      }
    }
    return credentials;
  }

  private static String optionalString(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text) || text.length() > 200) {
      throw ApiException.invalid(field + " must be a string of at most 200 characters");
    }
    return text.trim();
  }

  private static <T> Future<T> translate(Throwable failure) {
    return Future.failedFuture(failure instanceof ChannelStore.ChannelExists
        ? new ApiException(409, "channel_exists", "this provider account is already connected")
        : failure);
  }
}

package dev.parley.message;

import dev.parley.auth.Principal;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Routes;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.Filter;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code GET /rest/v1/messages}, as the multi-channel platform's integrations call it: {@code conversation_id},
 * {@code contact_id}, {@code channel} (a channel id or a provider name such as {@code whatsapp}),
 * {@code direction} ({@code INBOUND}/{@code OUTBOUND}, any case) and {@code status}, each also in the
 * PostgREST form {@code eq.<value>}; {@code limit} (default 100, at most 1000) and {@code offset}. Answers a JSON
 * array of messages, newest first, in the organization of the caller's credential.
 */
public final class CompatMessageRoutes implements Routes {
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final Pool pool;
  private final MessageStore messages = new MessageStore();

  public CompatMessageRoutes(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void mount(Router rest) {
    rest.get("/messages").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    String channel = param(ctx, "channel");
    UUID channelId = null;
    String provider = null;
    if (channel != null) {
      try {
        channelId = UUID.fromString(channel);
      } catch (IllegalArgumentException notAnId) {
        provider = provider(channel);
      }
    }
    var filter = new Filter(caller.organizationId(), null, null, null, channelId, provider,
        Api.id(param(ctx, "contact_id"), "contact_id is not an id"),
        Api.id(param(ctx, "conversation_id"), "conversation_id is not an id"),
        MessageRoutes.oneOf(param(ctx, "direction"), MessageRoutes.DIRECTIONS, "direction"),
        MessageRoutes.oneOf(param(ctx, "status"), MessageRoutes.STATUSES, "status"), null);
    int limit = number(param(ctx, "limit"), DEFAULT_LIMIT, 1, MAX_LIMIT, "limit");
    int offset = number(param(ctx, "offset"), 0, 0, Integer.MAX_VALUE, "offset");
    messages.page(pool, filter, limit, offset)
        .onSuccess(rows -> ctx.response().putHeader("content-type", "application/json")
            .end(new JsonArray(rows).encode()))
        .onFailure(ctx::fail);
  }

  /** A query parameter with PostgREST's {@code eq.} operator, if present, taken off. */
  private static String param(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value != null && value.startsWith("eq.")) {
      value = value.substring(3);
    }
    return value == null || value.isEmpty() ? null : value;
  }

  /** The platform's channel names ({@code whatsapp_cloud}, {@code facebook_messenger}…) or Parley's. */
  static String provider(String channel) {
    String name = channel.toLowerCase(Locale.ROOT);
    return switch (name) {
      case "whatsapp", "whatsapp_cloud", "whatsapp_lite" -> "whatsapp";
      case "messenger", "facebook", "facebook_messenger" -> "messenger";
      case "instagram", "instagram_direct" -> "instagram";
      case "telegram", "twilio", "email", "api" -> name;
      default -> throw ApiException.invalid("channel must be a channel id or a provider name such as whatsapp");
    };
  }

  private static int number(String value, int fallback, int min, int max, String name) {
    if (value == null) {
      return fallback;
    }
    try {
      int number = Integer.parseInt(value);
      if (number >= min && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.invalid(name + " must be a number from " + min + " to " + max);
  }
}

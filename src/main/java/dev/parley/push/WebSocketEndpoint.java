package dev.parley.push;

import dev.parley.auth.Authenticator;
import dev.parley.http.ApiException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /ws}: authenticates the upgrade request (access token as {@code access_token} query parameter or
 * after {@code bearer} in {@code Sec-WebSocket-Protocol}; API keys alike) and refuses it with 401 before the
 * upgrade when that fails. An accepted socket is handed to a {@link PushShard}. An optional {@code since}
 * query parameter resumes at once, like a {@code resume} frame.
 */
public final class WebSocketEndpoint implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(WebSocketEndpoint.class);

  private final PushHub hub;
  private final Authenticator authenticator;

  public WebSocketEndpoint(PushHub hub, Authenticator authenticator) {
    this.hub = hub;
    this.authenticator = authenticator;
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    if (!request.canUpgradeToWebSocket()) {
      throw new ApiException(426, "websocket_required", "connect with a WebSocket client");
    }
    if (!hub.accepting()) {
      throw new ApiException(503, "shutting_down", "this server is shutting down; connect again");
    }
    Long since = since(request.getParam("since"));
    request.pause();
    authenticator.authenticate(Authenticator.fromUpgrade(request))
        .onFailure(ctx::fail)
        .onSuccess(principal -> {
          PushShard shard = hub.pick();
          if (shard == null) {
            ctx.fail(new ApiException(503, "shutting_down", "this server is shutting down; connect again"));
            return;
          }
          request.toWebSocket()
              .onSuccess(ws -> shard.adopt(ws, principal, since))
              .onFailure(failure -> log.debug("WebSocket upgrade failed: {}", failure.toString()));
        });
  }

  private static Long since(String value) {
    if (value == null) {
      return null;
    }
    try {
      long since = Long.parseLong(value);
      if (since >= 0) {
        return since;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiException.invalid("since must be the last sequence number received (0 or more)");
  }
}

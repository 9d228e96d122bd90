package dev.parley.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * The one error shape of Parley's HTTP surface: {@code {"error":{"code":"…","message":"…"}}}; the multi-channel
 * platform's compatibility routes add its {@code "success":false}.
 */
public final class ErrorResponse {
  private ErrorResponse() {}

  public static Future<Void> send(HttpServerResponse response, int status, String code, String message) {
    return response.setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }

  /** The error in the multi-channel platform's shape: {@code {"success":false,"error":{"code","message"}}}. */
  public static Future<Void> sendPlatform(HttpServerResponse response, int status, String code, String message) {
    return response.setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("success", false)
            .put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }
}

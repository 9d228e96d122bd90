package dev.parley.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** The one error shape of Parley's HTTP surface: {@code {"error":{"code":"…","message":"…"}}}. */
public final class ErrorResponse {
  private ErrorResponse() {}

  public static Future<Void> send(HttpServerResponse response, int status, String code, String message) {
    return response.setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }
}

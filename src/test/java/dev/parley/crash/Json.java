package dev.parley.crash;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** Blocking JSON calls to a child process over loopback (no Vert.x in the test JVM needed). */
final class Json {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();

  private Json() {}

  /** An answer: its status (0 when none came) and body (empty JSON when it was not JSON). */
  record Answer(int status, JsonObject body) {
    boolean ok() {
      return status / 100 == 2;
    }
  }

  static Answer call(String method, int port, String path, JsonObject body, Map<String, String> headers) {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      request.header("content-type", "application/json");
    }
    headers.forEach(request::header);
    try {
      var response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      JsonObject json;
      try {
        json = response.body().isBlank() ? new JsonObject() : new JsonObject(response.body());
      } catch (RuntimeException notJson) {
        json = new JsonObject().put("text", response.body());
      }
      return new Answer(response.statusCode(), json);
    } catch (IOException e) {
      return new Answer(0, new JsonObject().put("error", e.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(0, new JsonObject());
    }
  }

  /** The call, which must answer 2xx. */
  static JsonObject ok(String method, int port, String path, JsonObject body, Map<String, String> headers) {
    Answer answer = call(method, port, path, body, headers);
    if (!answer.ok()) {
      throw new AssertionError(method + " " + path + " answered " + answer.status() + " " + answer.body());
    }
    return answer.body();
  }
}

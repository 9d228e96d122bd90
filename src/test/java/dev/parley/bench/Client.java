package dev.parley.bench;

import dev.parley.provider.HubSignature;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

/** HTTP/1.1 keep-alive client to one loopback server; a non-2xx answer fails the future. */
final class Client {
  private final HttpClient http;
  private final int port;

  Client(Vertx vertx, int port, int connections) {
    this.port = port;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
            .setDefaultHost("127.0.0.1").setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
  }

  int port() {
    return port;
  }

  Future<Buffer> webhook(Webhooks.Signed signed) {
    return send(new RequestOptions().setMethod(HttpMethod.POST).setURI(signed.path())
        .putHeader("Content-Type", "application/json").putHeader(HubSignature.HEADER, signed.signature()), signed.body());
  }

  /** A POST of raw JSON without credentials (the relay floor's). */
  Future<Buffer> post(String uri, Buffer body) {
    return send(new RequestOptions().setMethod(HttpMethod.POST).setURI(uri).putHeader("Content-Type", "application/json"),
        body);
  }

  Future<Buffer> post(String uri, String token, JsonObject body) {
    return send(new RequestOptions().setMethod(HttpMethod.POST).setURI(uri).putHeader("Content-Type", "application/json")
        .putHeader("Authorization", "Bearer " + token), body.toBuffer());
  }

  Future<Buffer> get(String uri, String token) {
    return send(new RequestOptions().setMethod(HttpMethod.GET).setURI(uri).putHeader("Authorization", "Bearer " + token),
        null);
  }

  private Future<Buffer> send(RequestOptions options, Buffer body) {
    return http.request(options)
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().compose(content -> response.statusCode() / 100 == 2
            ? Future.succeededFuture(content)
            : Future.failedFuture("HTTP " + response.statusCode() + " " + content)));
  }

  void close() {
    http.close();
  }
}

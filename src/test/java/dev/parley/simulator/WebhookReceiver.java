package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.fail;

import dev.parley.provider.HubSignature;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** A stand-in for Parley's webhook endpoint: records every POST (raw bytes and signature) and answers as told. */
final class WebhookReceiver {
  /** One POST as received. */
  record Received(Buffer body, String signature, String userAgent) {
    JsonObject json() {
      return new JsonObject(body);
    }

    JsonObject value() {
      return json().getJsonArray("entry").getJsonObject(0).getJsonArray("changes").getJsonObject(0)
          .getJsonObject("value");
    }
  }

  private final HttpServer server;
  final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  /** Answers this status to the next {@code failuresLeft} POSTs (they are not recorded), then 200. */
  private final AtomicInteger failuresLeft = new AtomicInteger();

  private WebhookReceiver(HttpServer server) {
    this.server = server;
  }

  static WebhookReceiver start(Vertx vertx) {
    var holder = new WebhookReceiver[1];
    HttpServer server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      WebhookReceiver receiver = holder[0];
      if (receiver.failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        request.response().setStatusCode(503).end();
        return;
      }
      receiver.received.add(new Received(body, request.getHeader(HubSignature.HEADER), request.getHeader("User-Agent")));
      request.response().setStatusCode(200).end("{\"applied\":1}");
    }));
    holder[0] = new WebhookReceiver(server);
    server.listen(0, "127.0.0.1").await();
    return holder[0];
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/webhooks/whatsapp/test-channel";
  }

  void failNext(int posts) {
    failuresLeft.set(posts);
  }

  void clear() {
    received.clear();
    failuresLeft.set(0);
  }

  /** Every status of every POST, in arrival order. */
  List<JsonObject> statuses() {
    List<JsonObject> statuses = new ArrayList<>();
    for (Received post : received) {
      var array = post.value().getJsonArray("statuses");
      if (array != null) {
        array.forEach(s -> statuses.add((JsonObject) s));
      }
    }
    return statuses;
  }

  /** Statuses of one message, in arrival order ({@code sent}, {@code delivered}, …). */
  List<String> statusesOf(String wamid) {
    return statuses().stream().filter(s -> s.getString("id").equals(wamid)).map(s -> s.getString("status")).toList();
  }

  List<JsonObject> messages() {
    List<JsonObject> messages = new ArrayList<>();
    for (Received post : received) {
      var array = post.value().getJsonArray("messages");
      if (array != null) {
        array.forEach(m -> messages.add((JsonObject) m));
      }
    }
    return messages;
  }

  void close() {
    server.close().await();
  }

  /** Polls until {@code condition} holds; fails the test after {@code timeout}. */
  static void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted");
      }
    }
  }
}

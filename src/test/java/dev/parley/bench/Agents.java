package dev.parley.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Agents' WebSocket connections to {@code /ws}, opened from several loopback source addresses (each gives its own
 * range of ephemeral ports), each going live at once ({@code ping}, no resume) and handing every text frame to
 * a handler.
 */
final class Agents implements AutoCloseable {
  private final List<WebSocketClient> clients = new ArrayList<>();
  private final ConcurrentLinkedQueue<WebSocket> sockets = new ConcurrentLinkedQueue<>();
  private final int port;

  Agents(Vertx vertx, int port, int sourceAddresses) {
    this.port = port;
    for (int i = 1; i <= sourceAddresses; i++) {
      clients.add(vertx.createWebSocketClient(new WebSocketClientOptions()
          .setLocalAddress("127.0.0." + i).setMaxConnections(1_000_000).setConnectTimeout(30_000)
          .setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 22)));
    }
  }

  /** Opens {@code count} sockets, token {@code i % tokens.size()} for the i-th, at most {@code parallel} at once. */
  Future<Integer> open(int count, List<String> tokens, int parallel, Consumer<String> frames) {
    Promise<Integer> done = Promise.promise();
    var next = new AtomicInteger();
    var finished = new AtomicInteger();
    var failed = new AtomicInteger();
    for (int i = 0; i < Math.min(parallel, count); i++) {
      openNext(count, tokens, frames, next, finished, failed, done);
    }
    return done.future();
  }

  private void openNext(int count, List<String> tokens, Consumer<String> frames, AtomicInteger next,
      AtomicInteger finished, AtomicInteger failed, Promise<Integer> done) {
    int i = next.getAndIncrement();
    if (i >= count) {
      return;
    }
    WebSocketClient client = clients.get(i % clients.size());
    client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
            .setURI("/ws?access_token=" + tokens.get(i % tokens.size())))
        .onComplete(result -> {
          if (result.succeeded()) {
            WebSocket socket = result.result();
            socket.textMessageHandler(frames::accept);
            socket.writeTextMessage("{\"type\":\"ping\"}");
            sockets.add(socket);
          } else {
            failed.incrementAndGet();
            if (failed.get() <= 3) {
              System.out.println("WebSocket connect failed: " + result.cause());
            }
          }
          if (finished.incrementAndGet() == count) {
            done.complete(sockets.size());
          } else {
            openNext(count, tokens, frames, next, finished, failed, done);
          }
        });
  }

  /** True when {@code frame} is a numbered event frame of {@code type} ({@code {"type":"event","seq":…,"event":…}}). */
  static boolean isEvent(String frame, String type) {
    if (!frame.startsWith("{\"type\":\"event\"")) {
      return false;
    }
    int at = frame.indexOf("\"event\":\"");
    return at > 0 && at < 64 && frame.startsWith(type, at + 9) && frame.charAt(at + 9 + type.length()) == '"';
  }

  int open() {
    return sockets.size();
  }

  @Override
  public void close() {
    List<Future<Void>> closing = new ArrayList<>();
    WebSocket socket;
    while ((socket = sockets.poll()) != null) {
      closing.add(socket.close());
    }
    Future.join(closing).await();
    clients.forEach(WebSocketClient::close);
  }
}

package dev.parley.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client for tests (Vert.x's own), connected to a test node's {@code /ws}. Records every
 * frame it receives in order, and the close code the server sent.
 */
public final class WsClient implements AutoCloseable {
  public final WebSocket socket;
  private final WebSocketClient client;
  private final LinkedBlockingQueue<JsonObject> inbox = new LinkedBlockingQueue<>();
  /** Every frame received, in order (including those already taken with {@link #next}). */
  public final List<JsonObject> received = java.util.Collections.synchronizedList(new ArrayList<>());
  private final CompletableFuture<Short> closed = new CompletableFuture<>();

  private WsClient(WebSocketClient client, ClientWebSocket socket) {
    this.client = client;
    this.socket = socket;
    // handlers first: the server may write before connect() returns
    socket.textMessageHandler(text -> {
      JsonObject frame = new JsonObject(text);
      received.add(frame);
      inbox.add(frame);
    });
    socket.closeHandler(v -> closed.complete(socket.closeStatusCode() == null ? -1 : socket.closeStatusCode()));
  }

  /** Connects with {@code access_token} in the query ({@code query} is appended, e.g. {@code "&since=5"}). */
  public static WsClient connect(Vertx vertx, int port, String token, String query) {
    return connect(vertx, new WebSocketClientOptions(), new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(port).setURI("/ws?access_token=" + token + (query == null ? "" : query)));
  }

  /** Connects with the token in the {@code bearer} subprotocol, as browsers do. */
  public static WsClient connectWithSubprotocol(Vertx vertx, int port, String token) {
    return connect(vertx, new WebSocketClientOptions(), new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(port).setURI("/ws").addSubProtocol("bearer").addSubProtocol(token));
  }

  public static WsClient connect(Vertx vertx, WebSocketClientOptions clientOptions, WebSocketConnectOptions options) {
    WebSocketClient client = vertx.createWebSocketClient(clientOptions);
    try {
      var ws = new WsClient(client, client.webSocket());
      ((ClientWebSocket) ws.socket).connect(options).await();
      return ws;
    } catch (RuntimeException e) {
      client.close();
      throw e;
    }
  }

  public void send(JsonObject frame) {
    socket.writeTextMessage(frame.encode()).await();
  }

  /** The next frame, or null when none arrives within {@code timeout}. */
  public JsonObject next(Duration timeout) {
    try {
      return inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Takes frames until one matches; fails if none does within {@code timeout}. */
  public JsonObject await(Duration timeout, Predicate<JsonObject> test) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      JsonObject frame = left > 0 ? next(Duration.ofNanos(left)) : null;
      if (frame == null) {
        throw new AssertionError("no matching frame within " + timeout + "; received " + received);
      }
      if (test.test(frame)) {
        return frame;
      }
    }
  }

  /** The next frame of type {@code event} named {@code event}. */
  public JsonObject awaitEvent(String event, Duration timeout) {
    return await(timeout, f -> "event".equals(f.getString("type")) && event.equals(f.getString("event")));
  }

  /** The close code the server sent (-1 when the connection dropped without one), waiting up to {@code timeout}. */
  public short awaitClose(Duration timeout) {
    try {
      return closed.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the socket did not close within " + timeout, e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      socket.close().otherwiseEmpty().await();
    }
    client.close().otherwiseEmpty().await();
  }
}

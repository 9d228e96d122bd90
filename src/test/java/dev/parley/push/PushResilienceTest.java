package dev.parley.push;

import static dev.parley.push.PushHubTest.maxSeq;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.auth.AccessTokens;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import dev.parley.testing.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The push hub under stress, each case on its own node: concurrent writers with a client that keeps dropping and
 * resuming, a slow consumer, dead sockets, expired tokens, and a node shutting down under its clients.
 */
@Tag("e2e")
class PushResilienceTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void aClientThatKeepsReconnectingWhileSeveralWritersPostGetsExactlyWhatWasCommitted() throws Exception {
    try (TestApp app = TestApp.start(Map.of())) {
      String token = app.adminToken();
      int writers = 4;
      int perWriter = 25;
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      List<Future<?>> posted = new ArrayList<>();
      List<JsonObject> frames = new ArrayList<>(); // every frame of every connection, in the order received
      int connections = 0;
      try {
        WsClient first = app.ws(token, null);
        long since = first.next(WAIT).getLong("seq");
        first.send(new JsonObject().put("type", "view").put("view", "chats"));
        for (int w = 0; w < writers; w++) {
          int writer = w;
          posted.add(pool.submit(() -> {
            Random pace = new Random(writer);
            for (int i = 0; i < perWriter; i++) {
              TestApp.sleep(10 + pace.nextInt(40)); // messages keep flowing while the client comes and goes
              String from = "1415555" + (1000 + writer * 100 + i % 5);
              var response = app.postSigned(WhatsAppPayloads.text(from, "Writer " + writer, "wamid.w" + writer + "-" + i,
                  TestApp.now(), "message " + writer + "/" + i));
              assertEquals(200, response.statusCode(), response.bodyAsString());
            }
          }));
        }
        Random random = new Random(42);
        WsClient current = first;
        while (!posted.stream().allMatch(Future::isDone) || connections < 6) {
          TestApp.sleep(20 + random.nextInt(150));
          current.close();
          frames.addAll(current.received);
          since = Math.max(since, maxSeq(current.received));
          connections++;
          boolean inTheUrl = random.nextBoolean(); // both ways of resuming
          current = app.ws(token, inTheUrl ? "&since=" + since : null);
          assertEquals("ready", current.next(WAIT).getString("type"), "the ready frame comes first");
          if (!inTheUrl) {
            current.send(new JsonObject().put("type", "resume").put("since", since));
          }
        }
        for (Future<?> writer : posted) {
          writer.get(); // rethrows a writer's failure
        }
        List<String> committed = app.sql("SELECT provider_message_id FROM messages WHERE direction = 'inbound'").stream()
            .map(row -> row.getString("provider_message_id")).toList();
        assertEquals(writers * perWriter, committed.size());
        // read until every committed message has arrived on the last connection
        WsClient last = current;
        Set<String> seen = messageIds(frames);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!seen.containsAll(committed) && System.nanoTime() < deadline) {
          last.next(Duration.ofMillis(200));
          seen = messageIds(concat(frames, last.received));
        }
        last.close();
        frames.addAll(last.received);
        connections++;

        assertEquals(new TreeSet<>(committed), new TreeSet<>(messageIds(frames)),
            "the union of what the client received over " + connections + " connections");
        List<Long> seqs = frames.stream()
            .filter(f -> "event".equals(f.getString("type")) && f.getLong("seq") != null)
            .map(f -> f.getLong("seq")).toList();
        for (int i = 1; i < seqs.size(); i++) {
          assertEquals(seqs.get(i - 1) + 1, seqs.get(i), "numbers arrive in order, each once, without gaps (at " + i + ")");
        }
        assertTrue(frames.stream().noneMatch(f -> "reset".equals(f.getString("type"))), "the log covered every gap");
        assertTrue(connections > 6, "the client reconnected " + connections + " times");
        assertTrue(app.metric("parley_push_resumes_total", "outcome=\"replayed\"") > 0);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static List<JsonObject> concat(List<JsonObject> a, List<JsonObject> b) {
    List<JsonObject> all = new ArrayList<>(a);
    synchronized (b) {
      all.addAll(b);
    }
    return all;
  }

  private static Set<String> messageIds(List<JsonObject> frames) {
    Set<String> ids = new HashSet<>();
    for (JsonObject frame : frames) {
      if ("message.created".equals(frame.getString("event")) && frame.getLong("seq") != null) {
        ids.add(frame.getJsonObject("data").getString("provider_message_id"));
      }
    }
    return ids;
  }

  @Test
  void aSlowConsumerIsClosedWithAResumableCodeWithoutHoldingUpTheOthers() {
    try (TestApp app = TestApp.start(Map.of("PARLEY_PUSH_MAX_QUEUED_BYTES", "262144"))) {
      String token = app.adminToken();
      WsClient fast = app.ws(token, null);
      fast.next(WAIT);
      fast.send(new JsonObject().put("type", "view").put("view", "chats"));
      WsClient slow = WsClient.connect(app.parley.vertx(), new WebSocketClientOptions().setReceiveBufferSize(4096),
          new WebSocketConnectOptions().setHost("127.0.0.1").setPort(app.parley.httpPort())
              .setURI("/ws?access_token=" + token));
      slow.next(WAIT);
      slow.send(new JsonObject().put("type", "view").put("view", "chats"));
      TestApp.sleep(200);
      slow.socket.pause(); // stops reading: the server's queue for it fills up

      String text = "x".repeat(1500);
      List<String> ids = new ArrayList<>();
      // until the server gives up on it: loopback's socket buffers take a few megabytes before its queue grows
      for (int webhook = 0; webhook < 400 && app.metric("parley_push_closes_total", "reason=\"queue_full\"") == 0; webhook++) {
        List<JsonObject> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          String id = "wamid.slow-" + webhook + "-" + i;
          ids.add(id);
          batch.add(WhatsAppPayloads.textMessage("14155556000", id, TestApp.now(), text + id));
        }
        var response = app.postSigned(WhatsAppPayloads.messages(TestApp.PHONE_NUMBER_ID, "14155556000", "Flood",
            batch.toArray(JsonObject[]::new)).encode());
        assertEquals(200, response.statusCode());
      }
      assertEquals(1.0, app.metric("parley_push_closes_total", "reason=\"queue_full\""), "the slow socket was closed");

      // the fast client got everything meanwhile
      Set<String> fastSeen = new HashSet<>();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (!fastSeen.containsAll(ids) && System.nanoTime() < deadline) {
        fast.next(Duration.ofMillis(200));
        fastSeen = messageIds(fast.received);
      }
      assertTrue(fastSeen.containsAll(ids), "the fast client missed messages");
      assertFalse(fast.isClosed());

      slow.socket.resume(); // reads what was queued, then the close frame
      assertEquals(PushShard.CLOSE_TRY_AGAIN, slow.awaitClose(WAIT));
      long since = maxSeq(slow.received);
      try (WsClient resumed = app.ws(token, "&since=" + since)) {
        Set<String> union = messageIds(slow.received);
        deadline = System.nanoTime() + WAIT.toNanos();
        while (!union.containsAll(ids) && System.nanoTime() < deadline) {
          resumed.next(Duration.ofMillis(200));
          union = messageIds(concat(slow.received, resumed.received));
        }
        assertEquals(new TreeSet<>(ids), new TreeSet<>(union), "after resuming, the slow client has everything");
      }
      fast.close();
    }
  }

  @Test
  void deadSocketsArePingedAndClosedWhileLiveOnesStay() throws Exception {
    try (TestApp app = TestApp.start(Map.of("PARLEY_PUSH_PING_INTERVAL", "PT0.2S", "PARLEY_PUSH_IDLE_TIMEOUT", "PT1S"))) {
      String token = app.adminToken();
      NetClient net = app.parley.vertx().createNetClient();
      NetSocket raw = net.connect(app.parley.httpPort(), "127.0.0.1").await();
      Buffer received = Buffer.buffer();
      CompletableFuture<Void> dropped = new CompletableFuture<>();
      raw.handler(received::appendBuffer);
      raw.closeHandler(v -> dropped.complete(null));
      raw.write("GET /ws?access_token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
          + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

      try (WsClient healthy = app.ws(token, null)) { // Vert.x answers pings by itself
        healthy.next(WAIT);
        TestApp.sleep(300);
        assertTrue(received.toString().startsWith("HTTP/1.1 101"), received.toString());
        dropped.get(10, TimeUnit.SECONDS); // the silent one is cut off
        assertTrue(containsPing(received), "the server pinged before giving up");
        TestApp.sleep(1500);
        assertFalse(healthy.isClosed(), "a client that answers pings stays connected");
        healthy.send(new JsonObject().put("type", "ping"));
        assertNotNull(healthy.await(WAIT, f -> "pong".equals(f.getString("type"))));
        assertTrue(app.metric("parley_push_closes_total", "reason=\"idle\"") >= 1);
      }
      net.close();
    }
  }

  /** A WebSocket ping frame from the server: FIN + opcode 9, unmasked. */
  private static boolean containsPing(Buffer bytes) {
    for (int i = 0; i < bytes.length() - 1; i++) {
      if ((bytes.getByte(i) & 0xff) == 0x89 && (bytes.getByte(i + 1) & 0x80) == 0) {
        return true;
      }
    }
    return false;
  }

  @Test
  void anExpiredTokenClosesItsSocket() {
    try (TestApp app = TestApp.start(Map.of())) {
      String secret = app.one("SELECT value FROM server_secrets WHERE name = 'jwt'").getString("value");
      UUID admin = app.one("SELECT id FROM users WHERE email = $1", TestApp.ADMIN_EMAIL).getUUID("id");
      String token = new AccessTokens(app.parley.vertx(), secret, Duration.ofSeconds(2))
          .issue(admin, app.organizationId(), "admin", "Demo Admin");
      try (WsClient ws = app.ws(token, null)) {
        assertEquals("ready", ws.next(WAIT).getString("type"));
        assertEquals(PushShard.CLOSE_TOKEN_EXPIRED, ws.awaitClose(Duration.ofSeconds(8)));
      }
    }
  }

  @Test
  void onShutdownClientsAreClosedResumablyAndResumeOnAnotherNodeWithoutAGap() {
    TestApp first = TestApp.start(Map.of());
    TestApp second = null;
    Vertx clients = Vertx.vertx(); // outlives the node it connects to
    try {
      second = TestApp.join(first, Map.of());
      String token = first.adminToken();
      WsClient ws = WsClient.connect(clients, first.parley.httpPort(), token, null);
      ws.next(WAIT);
      ws.send(new JsonObject().put("type", "view").put("view", "chats"));
      first.postSigned(WhatsAppPayloads.text("14155557000", "Shutdown", "wamid.down-0", TestApp.now(), "before"));
      ws.awaitEvent("message.created", WAIT);
      ws.next(Duration.ofMillis(500));

      first.stop();
      assertEquals(PushShard.CLOSE_RESTART, ws.awaitClose(WAIT));
      long since = maxSeq(ws.received);
      ws.close();

      List<String> missed = List.of("wamid.down-1", "wamid.down-2");
      for (String id : missed) {
        second.postSigned(WhatsAppPayloads.text("14155557000", "Shutdown", id, TestApp.now(), id));
      }
      try (WsClient resumed = WsClient.connect(clients, second.parley.httpPort(), token, "&since=" + since)) {
        assertEquals("ready", resumed.next(WAIT).getString("type"));
        long expected = since + 1;
        Set<String> got = new HashSet<>();
        while (!got.containsAll(missed)) {
          JsonObject frame = resumed.next(WAIT);
          assertNotNull(frame, "replay stopped after " + got);
          assertEquals(expected++, frame.getLong("seq"), frame.encode());
          if ("message.created".equals(frame.getString("event"))) {
            got.add(frame.getJsonObject("data").getString("provider_message_id"));
          }
        }
      }
    } finally {
      if (second != null) {
        second.flushRedis();
        second.stop();
      }
      first.close();
      clients.close().await();
    }
  }
}

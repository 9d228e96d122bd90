package dev.parley.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.store.ConversationCache.CachedState;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import dev.parley.testing.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Redis paused past the bound, killed and restarted, and flushed, under a node that keeps taking webhooks and list
 * calls. PostgreSQL is the suite's (embedded or external); Redis is this class's own real server, so it can be
 * stopped with signals. What the class measures goes to {@code target/faults/redis.json}.
 */
@Tag("e2e")
class RedisFaultsTest {
  private static final Duration BOUND = Duration.ofMillis(500);
  /** An answer may take the bound, plus the time a loaded CI machine needs around it. */
  private static final Duration ANSWER_WITHIN = BOUND.plusMillis(1_500);
  private static final String CUSTOMER = "447700800100";

  private static int port;
  private static RedisServer redis;
  private static TestApp app;
  private static String admin;
  private static int sequence;
  private static final JsonObject figures = new JsonObject();

  @BeforeAll
  static void start() throws IOException {
    port = freePort();
    redis = startRedis(port);
    app = TestApp.start(Map.of("PARLEY_REDIS_URL", "redis://127.0.0.1:" + port,
        "PARLEY_REDIS_TIMEOUT", "PT" + BOUND.toMillis() / 1000.0 + "S",
        "PARLEY_STATE_CHECK_INTERVAL", "PT1S"));
    admin = app.adminToken();
    assertEquals(200, webhook("wamid.redis-first").statusCode());
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      signal("CONT"); // never leave a stopped server behind a failed test
    } catch (RuntimeException ignored) {
      // already gone
    }
    app.close();
    redis.stop();
    Path out = Path.of("target", "faults");
    Files.createDirectories(out);
    Files.writeString(out.resolve("redis.json"), figures.encodePrettily());
  }

  @Test
  void aPausedRedisTurnsWebhooksAwayWithinTheBoundAndEverythingRecoversByItself() {
    WsClient client = app.ws(admin, null);
    await(() -> client.received.stream().anyMatch(frame -> "ready".equals(frame.getString("type"))), "the feed");
    Attempts during;
    signal("STOP");
    try {
      during = attempt("wamid.redis-pause-", 8);
      assertTrue(during.refused().size() >= 7, "once Redis missed its bound, webhooks are refused: " + during.refused());
      assertEquals(0.0, app.metric("parley_redis_available", null));
      assertTrue(app.metric("parley_redis_failures_total", "reason=\"timeout\"") >= 1);
      assertTrue(app.metric("parley_redis_failures_total", "reason=\"refused\"") >= 1);
    } finally {
      signal("CONT");
    }
    long recovery = awaitAccepted("wamid.redis-after-pause");
    assertEquals(1.0, app.metric("parley_redis_available", null));
    redeliver(during.refused());
    assertStoredOnce(during.refused());
    assertCountersMatchPostgres();
    // the client was told to refetch what it could not be sent live
    await(() -> client.received.stream().anyMatch(frame -> "reset".equals(frame.getString("type"))), "a reset frame");
    client.close();
    figures.put("pause", during.figures().put("bound_ms", BOUND.toMillis()).put("recovered_ms", recovery));
  }

  @Test
  void aKilledRedisIsReplacedAndItsStateRebuiltFromPostgres() throws IOException {
    signal("KILL");
    redis.stop();
    Attempts during = attempt("wamid.redis-down-", 5);
    assertTrue(during.refused().size() >= 4, "webhooks are refused while Redis is down: " + during.refused());
    redis = startRedis(port); // empty: everything Parley kept there is gone
    long recovery = awaitAccepted("wamid.redis-after-restart");
    redeliver(during.refused());
    assertStoredOnce(during.refused());
    assertCountersMatchPostgres();
    figures.put("restart", during.figures().put("recovered_ms", recovery));
  }

  @Test
  void aFlushedRedisIsRebuiltWhileWebhooksGoOn() {
    app.parley.redis().send(Request.cmd(Command.FLUSHALL)).await();
    long start = System.nanoTime();
    assertEquals(200, webhook("wamid.redis-after-flush").statusCode());
    assertCountersMatchPostgres();
    figures.put("flush", new JsonObject().put("rebuilt_ms", elapsed(start)).put("refused_503", 0));
  }

  /** What webhooks and list calls met while Redis was out. */
  private record Attempts(List<String> refused, long slowestWebhookMs, long slowestListMs) {
    JsonObject figures() {
      // every refused webhook is delivered again and checked stored once before these are recorded
      return new JsonObject().put("slowest_webhook_ms", slowestWebhookMs).put("slowest_list_ms", slowestListMs)
          .put("refused_503", refused.size()).put("lost", 0).put("duplicates", 0);
    }
  }

  /**
   * Posts {@code count} webhooks, each followed by a list call: every webhook is stored (200) or refused with 503
   * {@code store_unavailable}, never anything else; lists answer 200 from PostgreSQL; each within the bound.
   */
  private static Attempts attempt(String prefix, int count) {
    List<String> refused = new ArrayList<>();
    long slowestWebhook = 0;
    long slowestList = 0;
    for (int i = 0; i < count; i++) {
      String id = prefix + i;
      long start = System.nanoTime();
      var response = webhook(id);
      slowestWebhook = Math.max(slowestWebhook, elapsed(start));
      assertTrue(response.statusCode() == 200 || response.statusCode() == 503, response.bodyAsString());
      if (response.statusCode() == 503) {
        assertEquals("store_unavailable", TestApp.errorCode(response));
        refused.add(id);
      }
      start = System.nanoTime();
      var list = app.api(HttpMethod.GET, "/api/v1/conversations?status=open", null, admin);
      slowestList = Math.max(slowestList, elapsed(start));
      assertEquals(200, list.statusCode(), "lists fall back to PostgreSQL's counters: " + list.bodyAsString());
    }
    assertTrue(slowestWebhook < ANSWER_WITHIN.toMillis(), "slowest webhook " + slowestWebhook + " ms");
    assertTrue(slowestList < ANSWER_WITHIN.toMillis(), "slowest list " + slowestList + " ms");
    return new Attempts(refused, slowestWebhook, slowestList);
  }

  private static HttpResponse<Buffer> webhook(String id) {
    return app.postSigned(WhatsAppPayloads.text(CUSTOMER, "Rae", id, TestApp.now().plusMillis(sequence++), "hi " + id));
  }

  /** Posts new webhooks until one is accepted; the time that took, in milliseconds. */
  private static long awaitAccepted(String id) {
    long start = System.nanoTime();
    while (true) {
      int status = webhook(id).statusCode();
      if (status == 200) {
        return elapsed(start);
      }
      assertEquals(503, status);
      assertTrue(elapsed(start) < 15_000, "Parley did not recover within 15 s");
      TestApp.sleep(100);
    }
  }

  /** What the provider does with a webhook that was not acknowledged. */
  private static void redeliver(List<String> ids) {
    for (String id : ids) {
      assertEquals(200, webhook(id).statusCode(), id);
    }
  }

  private static void assertStoredOnce(List<String> ids) {
    for (String id : ids) {
      assertEquals(1L, app.one("SELECT count(*) AS n FROM messages WHERE provider_message_id = $1", id).getLong("n"),
          id);
    }
  }

  /** Redis holds PostgreSQL's unread count and window for the conversation (rebuilt, or kept in step). */
  private static void assertCountersMatchPostgres() {
    var row = app.one("SELECT cv.id, cv.unread_count, cv.window_expires_at FROM conversations cv "
        + "JOIN contacts c ON c.id = cv.contact_id WHERE c.mobile_number = $1", "+" + CUSTOMER);
    UUID id = row.getUUID("id");
    await(() -> {
      CachedState state = app.cache().get(app.organizationId(), List.of(id)).await().get(id);
      return state != null && state.unreadCount() == row.getInteger("unread_count")
          && state.windowExpiresAt().equals(row.getOffsetDateTime("window_expires_at").toInstant());
    }, "Redis to hold PostgreSQL's counters");
  }

  private static void await(Supplier<Boolean> condition, String what) {
    Instant deadline = Instant.now().plusSeconds(15);
    while (!condition.get()) {
      assertTrue(Instant.now().isBefore(deadline), "waited 15 s for " + what);
      TestApp.sleep(100);
    }
  }

  private static void signal(String signal) {
    long pid = redisPid();
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
      assertTrue(kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + signal + " " + pid);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Long pid;

  /** The server's process id from its INFO, read while it answers (a stopped server answers nothing). */
  private static synchronized long redisPid() {
    if (pid == null) {
      String info = app.parley.redis().send(Request.cmd(Command.INFO).arg("server")).await().toString();
      for (String line : info.split("\r?\n")) {
        if (line.startsWith("process_id:")) {
          pid = Long.parseLong(line.substring("process_id:".length()).trim());
        }
      }
    }
    return pid;
  }

  private static RedisServer startRedis(int port) throws IOException {
    pid = null;
    Path dir = Files.createTempDirectory("parley-faults-redis");
    RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("dir " + dir.toAbsolutePath()).setting("save \"\"").setting("appendonly no")
        .onShutdownForceStop(true).build();
    server.start();
    return server;
  }

  private static long elapsed(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}

package dev.parley.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.infra.LeftoverServers;
import dev.parley.testing.TestApp;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of Parley in the middle of a batch of REST sends to the provider simulator, which runs in its own JVM so
 * that what it accepted survives the kill. The store guardian is killed too, as a power cut or an OOM kill of the
 * whole group would: PostgreSQL and Redis are left running, and the restart must stop them itself. Then the client
 * retries every send that got no answer (same idempotency key) and dispatch resumes: no message reaches the provider
 * twice, and every acknowledged send reaches it or ends {@code failed} with a reason.
 */
@Tag("e2e")
class KillDuringSendsTest {
  private static final int CUSTOMERS = 20;
  private static final int SENDS_PER_CUSTOMER = 10;
  private static final int SENDS = CUSTOMERS * SENDS_PER_CUSTOMER;
  private static final int KILL_AFTER_ACKS = 70;
  private static final String TOKEN = "crash-test-token";

  @Test
  void noSendIsLostOrSentTwiceAcrossKillOfParleyAndItsGuardian() throws Exception {
    Path dataDir = Files.createTempDirectory("parley-crash-sends");
    int port = ChildJvm.freePort();
    int simPort = ChildJvm.freePort();
    var env = ChildJvm.parleyEnv(dataDir, port);
    // a send whose outcome the kill made unknown waits this long for the provider's status webhook before it is
    // sent again; it must exceed the restart time (Parley's default is a minute)
    env.put("PARLEY_DISPATCH_RECONCILE_GRACE", "PT30S");
    env.put("PARLEY_DISPATCH_LEASE", "PT5S");
    ChildJvm simulator = null;
    ChildJvm parley = null;
    int left;
    ChildJvm restarted = null;
    try {
      simulator = ChildJvm.simulator("kill-during-sends-simulator", simPort, TestApp.PHONE_NUMBER_ID + ":" + TOKEN
          + ":" + TestApp.APP_SECRET + ":http://127.0.0.1:" + port + "/webhooks/whatsapp/" + TestApp.CHANNEL_ID);
      // statuses refused while Parley is down are retried every second at most, like Meta but quicker
      Json.ok("PATCH", simPort, "/_simulator/options", new JsonObject().put("webhook_retry_base", "PT0.2S")
          .put("webhook_retry_max", "PT1S")
          // answers come 300 ms after acceptance: at the kill some sends are at the provider, their outcome unknown
          .put("latency", "PT0.3S"), Map.of());
      parley = ChildJvm.parley("kill-during-sends-1", env, port);
      Map<String, String> admin = Map.of("Authorization", "Bearer " + Json.ok("POST", port, "/api/v1/auth/login",
          new JsonObject().put("email", TestApp.ADMIN_EMAIL).put("password", TestApp.ADMIN_PASSWORD), Map.of())
          .getString("access_token"));
      Json.ok("PATCH", port, "/api/v1/channels/" + TestApp.CHANNEL_ID, new JsonObject().put("credentials",
          new JsonObject().put("api_base_url", "http://127.0.0.1:" + simPort).put("access_token", TOKEN)), admin);
      for (int c = 0; c < CUSTOMERS; c++) { // each customer writes first: conversations with open windows
        Json.ok("POST", simPort, "/_simulator/customers/messages?wait=true", new JsonObject()
            .put("phone_number_id", TestApp.PHONE_NUMBER_ID).put("wa_id", "4916" + (200000000 + c))
            .put("name", "Customer " + c).put("text", "hello"), Map.of());
      }
      parley.awaitProjected(Duration.ofSeconds(30)); // the webhooks are acknowledged; their messages land a moment later
      var key = Map.of("X-Api-Key", Json.ok("POST", port, "/api/v1/api_keys", new JsonObject().put("name", "crash"),
          admin).getString("key"));
      List<String> conversations = new ArrayList<>();
      Json.ok("GET", port, "/api/v1/conversations?limit=100", null, key).getJsonArray("data")
          .forEach(row -> conversations.add(((JsonObject) row).getString("id")));
      assertEquals(CUSTOMERS, conversations.size());

      // the batch: a send is acknowledged by 202 (stored, pending) or 200 (a replay of the same key)
      Map<Integer, String> acknowledged = new ConcurrentHashMap<>();
      var killed = new AtomicBoolean();
      long[] killedAt = new long[1];
      ChildJvm first = parley;
      long guardian = guardianOf(first);
      sendAll(port, conversations, key, acknowledged, acks -> {
        if (acks >= KILL_AFTER_ACKS && killed.compareAndSet(false, true)) {
          // the guardian first, so that nothing stops the stores
          ProcessHandle.of(guardian).ifPresent(ProcessHandle::destroyForcibly);
          first.kill();
          killedAt[0] = System.nanoTime();
        }
      });
      assertTrue(killed.get(), "the batch ended before the kill");
      int ackedBeforeKill = acknowledged.size();
      // read from the PostgreSQL the kill left running: accepted by the provider but still pending in Parley
      var acceptedAtKill = acceptedByProvider(simPort);
      int unknownAtKill = (int) outbound(dataDir).entrySet().stream()
          .filter(row -> row.getValue()[0].equals("pending") && acceptedAtKill.containsKey(row.getKey())).count();
      Path real = dataDir.toRealPath();
      assertFalse(LeftoverServers.runningIn(real.resolve("postgres"), "postgres").isEmpty(),
          "PostgreSQL should be left running (its guardian was killed too)");
      assertFalse(LeftoverServers.runningIn(real.resolve("redis"), "redis-server").isEmpty(),
          "Redis should be left running (its guardian was killed too)");

      long restarting = System.nanoTime();
      restarted = ChildJvm.parley("kill-during-sends-2", env, port);
      long restartMillis = Figures.millisSince(restarting);
      String restartLog = Files.readString(restarted.log());
      assertTrue(restartLog.contains("found PostgreSQL") && restartLog.contains("found Redis"),
          "the restart should report the servers it stopped");
      int resent = 0;
      for (int round = 0; round < 10 && acknowledged.size() < SENDS; round++) { // the client retries, same keys
        for (int i = 0; i < SENDS; i++) {
          if (!acknowledged.containsKey(i)) {
            resent++;
            send(port, conversations, key, i, acknowledged);
          }
        }
      }
      assertEquals(SENDS, acknowledged.size(), "sends still refused after the restart");

      // dispatch resumes: every message leaves pending (sent, or failed with a reason)
      long resuming = System.nanoTime();
      Map<String, String[]> outcome = new HashMap<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      do {
        ChildJvm.sleep(500);
        outcome = outbound(dataDir);
      } while (outcome.values().stream().anyMatch(o -> o[0].equals("pending")) && System.nanoTime() < deadline);
      long settleMillis = Figures.millisSince(resuming);

      Map<String, Integer> accepted = acceptedByProvider(simPort);
      int sentTwice = (int) accepted.values().stream().filter(n -> n > 1).count();
      int lost = 0;
      int failed = 0;
      for (String id : acknowledged.values()) {
        String[] row = outcome.get(id);
        if (row == null || row[0].equals("pending")) {
          lost++;
        } else if (row[0].equals("failed")) {
          failed++;
          assertTrue(row[1] != null, "message " + id + " failed without a reason");
        } else if (!accepted.containsKey(id)) {
          lost++; // marked sent but the provider never had it
        }
      }
      Figures.record("kill-during-sends", new JsonObject()
          .put("sends", SENDS)
          .put("acknowledged_before_kill", ackedBeforeKill)
          .put("accepted_by_provider_at_kill", acceptedAtKill.size())
          .put("accepted_but_pending_at_kill", unknownAtKill)
          .put("resent_by_client", resent)
          .put("messages_stored", outcome.size())
          .put("accepted_by_provider", accepted.size())
          .put("sent_twice", sentTwice)
          .put("failed_with_reason", failed)
          .put("lost", lost)
          .put("restart_ms", restartMillis)
          .put("kill_to_ready_ms", Figures.millisSince(killedAt[0]) - settleMillis)
          .put("dispatch_settled_ms", settleMillis));
      assertEquals(SENDS, outcome.size(), "one message per idempotency key");
      assertEquals(0, sentTwice, "messages the provider accepted twice");
      assertEquals(0, lost, "acknowledged sends neither at the provider nor failed");
      assertTrue(accepted.keySet().stream().allMatch(outcome::containsKey), "the provider got unknown messages");
    } finally {
      if (parley != null) {
        parley.kill();
      }
      if (restarted != null) {
        restarted.stop();
      }
      if (simulator != null) {
        simulator.stop();
      }
      left = ChildJvm.cleanUp(dataDir);
    }
    // not in the finally block: a failure there would hide the test's own
    assertEquals(0, left, "embedded servers left running after Parley stopped");
  }

  /** Parley message id (echoed as biz_opaque_callback_data) -> times the simulator accepted it. */
  private static Map<String, Integer> acceptedByProvider(int simPort) {
    Map<String, Integer> accepted = new HashMap<>();
    Json.ok("GET", simPort, "/_simulator/stats/" + TestApp.PHONE_NUMBER_ID, null, Map.of()).getJsonArray("messages")
        .forEach(m -> accepted.merge(((JsonObject) m).getString("biz_opaque_callback_data", "?"), 1, Integer::sum));
    return accepted;
  }

  private static long guardianOf(ChildJvm parley) {
    return parley.children().stream()
        .filter(child -> child.info().commandLine().map(line -> line.contains("parley-store-guardian")).orElse(false))
        .findFirst().orElseThrow(() -> new AssertionError("no store guardian under " + parley.pid()))
        .pid();
  }

  private interface AfterAck {
    void accept(int acknowledged);
  }

  private static void sendAll(int port, List<String> conversations, Map<String, String> key,
      Map<Integer, String> acknowledged, AfterAck afterAck) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    ExecutorService senders = Executors.newFixedThreadPool(8);
    for (int s = 0; s < 8; s++) {
      senders.submit(() -> {
        for (int i = next.getAndIncrement(); i < SENDS; i = next.getAndIncrement()) {
          if (send(port, conversations, key, i, acknowledged)) {
            afterAck.accept(acknowledged.size());
          }
        }
      });
    }
    senders.shutdown();
    assertTrue(senders.awaitTermination(3, TimeUnit.MINUTES), "the senders did not finish");
  }

  /** Send number {@code i} (to customer i % CUSTOMERS); true when acknowledged, whose message id is recorded. */
  private static boolean send(int port, List<String> conversations, Map<String, String> key, int i,
      Map<Integer, String> acknowledged) {
    var headers = new HashMap<>(key);
    headers.put("Idempotency-Key", "crash-send-" + i);
    var answer = Json.call("POST", port, "/api/v1/conversations/" + conversations.get(i % CUSTOMERS) + "/messages",
        new JsonObject().put("type", "text").put("text", new JsonObject().put("body", "send " + i)), headers);
    if (answer.ok()) {
      String id = answer.body().getString("id");
      String earlier = acknowledged.putIfAbsent(i, id);
      assertTrue(earlier == null || earlier.equals(id), "send " + i + " answered two message ids");
      return true;
    }
    return false;
  }

  /** Every outbound message of the demo channel: id -> {status, error_code}. */
  private static Map<String, String[]> outbound(Path dataDir) throws Exception {
    Map<String, String[]> rows = new HashMap<>();
    try (Connection connection = StoredWebhooks.embedded(dataDir);
        var statement = connection.prepareStatement(
            "SELECT id::text, status, error_code FROM messages WHERE channel_id = ? AND direction = 'outbound'")) {
      statement.setObject(1, TestApp.CHANNEL_ID);
      try (var result = statement.executeQuery()) {
        while (result.next()) {
          rows.put(result.getString(1), new String[] {result.getString(2), result.getString(3)});
        }
      }
    }
    return rows;
  }
}

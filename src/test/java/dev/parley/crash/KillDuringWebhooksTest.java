package dev.parley.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.infra.LeftoverServers;
import dev.parley.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of Parley while signed webhooks pour in, then a restart on the same data directory and the provider's
 * redelivery of everything that got no 2xx: every acknowledged webhook's message is stored exactly once. With the
 * embedded stores this is also the proof that a killed Parley starts again at once (the guardian stopped its
 * PostgreSQL and Redis); with external ones (the test run's servers, or CI's Debian ones) nothing is embedded.
 */
@Tag("e2e")
class KillDuringWebhooksTest {
  private static final int WEBHOOKS = 600;
  private static final int KILL_AFTER_ACKS = 150;

  @Test
  void embeddedStoresStartAgainAfterKillAndKeepEachAcknowledgedWebhookOnce() throws Exception {
    Path dataDir = Files.createTempDirectory("parley-crash-webhooks");
    int left;
    try {
      var env = ChildJvm.parleyEnv(dataDir, ChildJvm.freePort());
      run("kill-during-webhooks-embedded", env, dataDir, () -> StoredWebhooks.embedded(dataDir));
    } finally {
      left = ChildJvm.cleanUp(dataDir);
    }
    // not in the finally block: a failure there would hide the test's own
    assertEquals(0, left, "embedded servers left running after Parley stopped");
  }

  @Test
  void externalStoresKeepEachAcknowledgedWebhookOnceAcrossKill() throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String database = "parley_crash_" + suffix;
    String pgUrl = TestServers.postgresUrl(database); // Parley creates the database
    Path dataDir = Files.createTempDirectory("parley-crash-external");
    try {
      var env = ChildJvm.parleyEnv(dataDir, ChildJvm.freePort());
      env.put("PARLEY_PG_URL", pgUrl);
      env.put("PARLEY_REDIS_URL", TestServers.redisUrl());
      env.put("PARLEY_REDIS_KEY_PREFIX", "crash-" + suffix + ":");
      run("kill-during-webhooks-external", env, dataDir, () -> StoredWebhooks.of(pgUrl));
    } finally {
      ChildJvm.cleanUp(dataDir);
      TestServers.admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }
  }

  private interface Connect {
    Connection open() throws Exception;
  }

  private void run(String name, Map<String, String> env, Path dataDir, Connect connect) throws Exception {
    int port = Integer.parseInt(env.get("PARLEY_HTTP_PORT"));
    boolean embedded = !env.containsKey("PARLEY_PG_URL") || env.get("PARLEY_PG_URL").isEmpty();
    long started = System.nanoTime();
    ChildJvm parley = ChildJvm.parley(name + "-1", env, port);
    long firstStartMillis = Figures.millisSince(started);
    ChildJvm restarted = null;
    try {
      var load = new WebhookLoad("crash" + UUID.randomUUID().toString().substring(0, 8), WEBHOOKS);
      var killed = new AtomicBoolean();
      long[] killedAt = new long[1];
      load.postAll(port, 16, 0, (webhook, status) -> {
        if (load.acknowledged.get() >= KILL_AFTER_ACKS && killed.compareAndSet(false, true)) {
          parley.kill();
          killedAt[0] = System.nanoTime();
        }
      });
      assertTrue(killed.get(), "the load ended before the kill");
      List<Integer> ackedBeforeKill = load.acknowledgedIds();
      int unansweredAtKill = WEBHOOKS - ackedBeforeKill.size();

      long storesGoneMillis = -1;
      if (embedded) { // the guardian stops PostgreSQL and Redis once the JVM is gone
        Path real = dataDir.toRealPath();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && (!LeftoverServers.runningIn(real.resolve("postgres"), "postgres")
            .isEmpty() || !LeftoverServers.runningIn(real.resolve("redis"), "redis-server").isEmpty())) {
          ChildJvm.sleep(20);
        }
        storesGoneMillis = Figures.millisSince(killedAt[0]);
        assertTrue(LeftoverServers.runningIn(real.resolve("postgres"), "postgres").isEmpty(),
            "PostgreSQL still runs 20 s after the JVM was killed");
        assertTrue(LeftoverServers.runningIn(real.resolve("redis"), "redis-server").isEmpty(),
            "Redis still runs 20 s after the JVM was killed");
      }

      long restarting = System.nanoTime();
      restarted = ChildJvm.parley(name + "-2", env, port);
      long restartMillis = Figures.millisSince(restarting);
      long downMillis = Figures.millisSince(killedAt[0]);
      int storedWithoutAck; // in flight at the kill, committed but never answered: their redelivery must change nothing
      try (Connection connection = connect.open()) {
        var before = StoredWebhooks.read(connection, load);
        storedWithoutAck = (int) load.unacknowledged().stream()
            .filter(i -> before.copies.containsKey(load.providerId(i))).count();
      }
      int redelivered = load.redeliver(port, 10);
      assertEquals(List.of(), load.unacknowledged(), "webhooks still refused after the restart");

      restarted.awaitProjected(Duration.ofSeconds(30));
      StoredWebhooks stored;
      try (Connection connection = connect.open()) {
        stored = StoredWebhooks.read(connection, load);
      }
      stored.assertExactlyOnce(load, load.acknowledgedIds());
      assertEquals(WEBHOOKS, stored.copies.size());
      Figures.record(name, new JsonObject()
          .put("webhooks", WEBHOOKS)
          .put("acknowledged_before_kill", ackedBeforeKill.size())
          .put("unanswered_at_kill", unansweredAtKill)
          .put("stored_without_ack_at_kill", storedWithoutAck)
          .put("redelivered", redelivered)
          .put("acknowledged_in_the_end", load.acknowledgedIds().size())
          .put("stored", stored.copies.size())
          .put("lost", stored.lost(load, ackedBeforeKill))
          .put("duplicates", stored.duplicates)
          .put("unread_mismatches", stored.unreadMismatches)
          .put("answers_5xx", load.answers(500) + load.answers(503))
          .put("first_start_ms", firstStartMillis)
          .put("stores_stopped_after_kill_ms", storesGoneMillis)
          .put("restart_ms", restartMillis)
          .put("kill_to_ready_ms", downMillis));
      assertEquals(0, load.answers(500), "500 answers");
    } finally {
      parley.kill();
      if (restarted != null) {
        restarted.stop();
      }
    }
  }
}

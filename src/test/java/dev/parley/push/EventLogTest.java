package dev.parley.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.config.ParleyConfig;
import dev.parley.store.RedisKeys;
import dev.parley.testing.TestServers;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The per-organization sequence and resume log, against a real Redis. */
@Tag("e2e")
class EventLogTest {
  private static Vertx vertx;
  private static Redis redis;
  private static final RedisKeys KEYS = new RedisKeys("eventlog-test-" + UUID.randomUUID() + ":");

  @BeforeAll
  static void connect() {
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, TestServers.redisUrl());
  }

  @AfterAll
  static void disconnect() {
    redis.close();
    vertx.close().await();
  }

  private static EventLog log(int maxEvents, Duration maxAge) {
    return new EventLog(redis, KEYS, new ParleyConfig.Push(1, maxEvents, maxAge, Duration.ofSeconds(2),
        Duration.ofSeconds(25), Duration.ofSeconds(70), 1 << 20, 65536));
  }

  /** Appends {@code count} events and returns the first number assigned. */
  private static long append(EventLog log, UUID org, int count) {
    List<String> tails = IntStream.range(0, count)
        .mapToObj(i -> EventLog.tail("message.created", new JsonObject().put("i", i))).toList();
    return log.run(List.of(log.append(org, tails, System.currentTimeMillis()))).await().get(0).toLong();
  }

  @Test
  void numbersStartAboveAnyEarlierOneAndIncreaseByOne() {
    EventLog log = log(100, Duration.ofHours(1));
    UUID org = UUID.randomUUID();
    long before = System.currentTimeMillis() * 1000;
    long first = append(log, org, 3);
    assertTrue(first > before && first < (System.currentTimeMillis() + 1) * 1000 + 10, "starts at now (ms) x 1000");
    assertTrue(first < (1L << 53), "exact in a JavaScript number");
    assertEquals(first + 3, append(log, org, 1));
    assertEquals(first + 3, log.current(org).await());

    EventLog.Replay replay = log.since(org, first).await();
    assertFalse(replay.reset());
    List<Long> seqs = replay.frames().stream().map(EventLog::seqOf).toList();
    assertEquals(List.of(first + 1, first + 2, first + 3), seqs);
    JsonObject frame = new JsonObject(replay.frames().get(0));
    assertEquals("event", frame.getString("type"));
    assertEquals(first + 1, frame.getLong("seq"));
    assertEquals("message.created", frame.getString("event"));
    assertEquals(1, frame.getJsonObject("data").getInteger("i"));

    assertTrue(log.since(org, first + 3).await().frames().isEmpty(), "nothing after the current number");
    assertFalse(log.since(org, first + 3).await().reset());
    assertTrue(log.since(org, first + 4).await().reset(), "a number never issued is a reset");
    assertTrue(log.since(UUID.randomUUID(), 5).await().reset(), "another organization has its own sequence");
  }

  @Test
  void theLogKeepsTheNewestEventsAndResetsOlderPositions() {
    EventLog log = log(5, Duration.ofHours(1));
    UUID org = UUID.randomUUID();
    long first = append(log, org, 8); // keeps first+3 .. first+7
    assertTrue(log.since(org, first).await().reset());
    assertTrue(log.since(org, first + 1).await().reset());
    EventLog.Replay replay = log.since(org, first + 2).await();
    assertFalse(replay.reset(), "the oldest kept event directly follows");
    assertEquals(5, replay.frames().size());
    assertEquals(first + 7, replay.current());
  }

  @Test
  void eventsOlderThanTheMaximumAgeAreDropped() {
    EventLog log = log(100, Duration.ofMillis(300));
    UUID org = UUID.randomUUID();
    long old = append(log, org, 2);
    sleep(450);
    long fresh = append(log, org, 1);
    assertTrue(log.since(org, old).await().reset(), "the old events aged out");
    assertEquals(List.of(fresh), log.since(org, fresh - 1).await().frames().stream().map(EventLog::seqOf).toList());
  }

  @Test
  void afterRedisLosesTheLogOldPositionsResetAndNumbersKeepIncreasing() {
    EventLog log = log(100, Duration.ofHours(1));
    UUID org = UUID.randomUUID();
    long before = append(log, org, 3) + 2;
    redis.send(Request.cmd(Command.DEL).arg(KEYS.eventSeq(org)).arg(KEYS.eventLog(org)).arg(KEYS.eventTimes(org))).await();
    sleep(5);
    long after = append(log, org, 1);
    assertTrue(after > before, "a new sequence starts above the lost one: " + before + " -> " + after);
    assertTrue(log.since(org, before).await().reset());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.parley.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One Parley with its embedded stores, in its own JVM: PostgreSQL is stopped under a webhook load and started again
 * on the same port ({@code pg_ctl} next to the postmaster's binary, with the options of {@code postmaster.opts}).
 * Meanwhile webhooks get 503 {@code store_unavailable} (never 2xx for what is not stored, never 500), and Parley
 * takes them again without being restarted. Also: a second Parley on the same data directory is refused at once.
 *
 * <p>Always the embedded stores, also when the run names external servers: those belong to another user (CI runs
 * Debian's PostgreSQL as {@code postgres}), and a test must not stop a server it does not own.
 */
@Tag("e2e")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresRestartTest {
  /** How long after PostgreSQL is back Parley must take webhooks again (documented in docs/faults.md). */
  private static final long RECOVERY_LIMIT_MS = 10_000;
  private static final long OUTAGE_MS = 4_000;

  private Path dataDir;
  private Map<String, String> env;
  private ChildJvm parley;

  @BeforeAll
  void start() throws IOException {
    dataDir = Files.createTempDirectory("parley-crash-pg-restart");
    env = ChildJvm.parleyEnv(dataDir, ChildJvm.freePort());
    parley = ChildJvm.parley("postgres-restart", env, Integer.parseInt(env.get("PARLEY_HTTP_PORT")));
  }

  @AfterAll
  void stop() throws IOException {
    try {
      if (parley != null) {
        parley.stop();
      }
    } finally {
      assertEquals(0, ChildJvm.cleanUp(dataDir), "embedded servers left running after Parley stopped");
    }
  }

  @Test
  void secondParleyOnTheSameDataDirectoryIsRefusedAtOnce() throws Exception {
    var second = new HashMap<>(env);
    second.put("PARLEY_HTTP_PORT", Integer.toString(ChildJvm.freePort()));
    long started = System.nanoTime();
    int port = Integer.parseInt(second.get("PARLEY_HTTP_PORT"));
    try (ChildJvm refused = ChildJvm.parley("postgres-restart-second", second, port)) {
      throw new AssertionError("a second Parley started on the data directory of pid " + parley.pid());
    } catch (IOException expected) {
      assertTrue(expected.getMessage().contains("exited with 1"), expected.getMessage());
    }
    long refusedMillis = Figures.millisSince(started);
    String log = Files.readString(Path.of("target", "crash", "postgres-restart-second.log"));
    assertTrue(log.contains("is in use by another running Parley (pid " + parley.pid() + ")"), log);
    assertTrue(refusedMillis < 30_000, "refused only after " + refusedMillis + " ms");
    assertTrue(parley.isAlive());
    assertEquals(200, Json.call("GET", parley.port(), "/health/ready", null, Map.of()).status());
  }

  @Test
  void webhooksGet503WhilePostgresIsDownAndAreTakenAgainWithoutRestart() throws Exception {
    int port = parley.port();
    long pid = parley.pid();
    var load = new WebhookLoad("pgrestart" + UUID.randomUUID().toString().substring(0, 8), 20_000);
    // answers by phase: before the stop, while down, after the start
    var phase = new AtomicInteger();
    List<Map<Integer, AtomicInteger>> byPhase = List.of(new ConcurrentHashMap<>(), new ConcurrentHashMap<>(),
        new ConcurrentHashMap<>());
    var firstAckAfterStart = new AtomicLong();
    var executor = Executors.newSingleThreadExecutor();
    Future<?> posting = executor.submit(() -> {
      load.postAll(port, 8, 5, (webhook, status) -> {
        int p = phase.get();
        byPhase.get(p).computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
        if (p == 2 && status / 100 == 2) {
          firstAckAfterStart.compareAndSet(0, System.nanoTime());
        }
      });
      return null;
    });
    try {
      ChildJvm.sleep(2500);
      Path pgDir = dataDir.toRealPath().resolve("postgres");
      List<String> options = postmasterOptions(pgDir);
      long postmaster = Long.parseLong(Files.readAllLines(pgDir.resolve("postmaster.pid")).get(0).strip());
      Path pgCtl = Files.readSymbolicLink(Path.of("/proc", Long.toString(postmaster), "exe")).resolveSibling("pg_ctl");
      long stopping = System.nanoTime();
      fastShutdown(postmaster, pgDir);
      long stopMillis = Figures.millisSince(stopping);
      phase.set(1);
      ChildJvm.sleep(OUTAGE_MS);
      List<String> start = new ArrayList<>(List.of("start", "-l", pgDir.resolve("restart.log").toString(), "-o",
          String.join(" ", options)));
      pgCtl(pgCtl, pgDir, start.toArray(String[]::new));
      long startedAt = System.nanoTime();
      phase.set(2);
      long deadline = startedAt + TimeUnit.MILLISECONDS.toNanos(30_000);
      while (firstAckAfterStart.get() == 0 && System.nanoTime() < deadline) {
        ChildJvm.sleep(20);
      }
      assertTrue(firstAckAfterStart.get() != 0, "no webhook acknowledged within 30 s of PostgreSQL's start");
      long recoverMillis = (firstAckAfterStart.get() - startedAt) / 1_000_000;
      ChildJvm.sleep(1000);
      load.halted = true;
      posting.get(60, TimeUnit.SECONDS);

      assertTrue(parley.isAlive(), "Parley died");
      assertEquals(pid, parley.pid());
      assertEquals(200, Json.call("GET", port, "/health/ready", null, Map.of()).status());
      int refusedWhileDown = count(byPhase.get(1), 503);
      int redelivered = load.redeliver(port, 10);
      assertEquals(List.of(), load.unacknowledged(), "webhooks still refused after PostgreSQL came back");
      parley.awaitProjected(Duration.ofSeconds(30));
      StoredWebhooks stored;
      try (Connection connection = StoredWebhooks.embedded(dataDir)) {
        stored = StoredWebhooks.read(connection, load);
      }
      stored.assertExactlyOnce(load, load.acknowledgedIds());
      assertEquals(load.acknowledgedIds().size(), stored.copies.size(), "stored messages nobody posted");
      Figures.record("postgres-restart", new JsonObject()
          .put("posted", load.answers.values().stream().mapToInt(AtomicInteger::get).sum() - redelivered)
          .put("acknowledged", load.acknowledgedIds().size())
          .put("acknowledged_before_stop", count(byPhase.get(0), 200))
          .put("acknowledged_while_down", count(byPhase.get(1), 200))
          .put("answers_503_while_down", refusedWhileDown)
          .put("answers_while_down", answersWhileDown(byPhase.get(1)))
          .put("acknowledged_after_start", count(byPhase.get(2), 200))
          .put("answers_503_after_start", count(byPhase.get(2), 503))
          .put("answers_500", load.answers(500))
          .put("redelivered", redelivered)
          .put("stored", stored.copies.size())
          .put("lost", stored.lost(load, load.acknowledgedIds()))
          .put("duplicates", stored.duplicates)
          .put("postgres_stop_ms", stopMillis)
          .put("outage_ms", OUTAGE_MS)
          .put("time_to_recover_ms", recoverMillis));
      assertTrue(refusedWhileDown > 0, "no webhook was refused while PostgreSQL was down");
      assertEquals(0, load.answers(500), "500 answers");
      for (var phaseAnswers : byPhase) {
        for (int status : phaseAnswers.keySet()) {
          assertTrue(status == 200 || status == 503, "unexpected answer " + status + " in " + byPhase);
        }
      }
      assertTrue(recoverMillis < RECOVERY_LIMIT_MS, "recovered only after " + recoverMillis + " ms");
    } finally {
      load.halted = true;
      executor.shutdownNow();
    }
  }

  private static int count(Map<Integer, AtomicInteger> answers, int status) {
    var counter = answers.get(status);
    return counter == null ? 0 : counter.get();
  }

  private static JsonObject answersWhileDown(Map<Integer, AtomicInteger> answers) {
    var json = new JsonObject();
    answers.forEach((status, n) -> json.put(Integer.toString(status), n.get()));
    return json;
  }

  /** The postmaster's options as {@code postmaster.opts} recorded them, without the binary and {@code -D}. */
  private static List<String> postmasterOptions(Path pgDir) throws IOException {
    String line = Files.readString(pgDir.resolve("postmaster.opts")).strip();
    List<String> tokens = new ArrayList<>();
    var matcher = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"|(\\S+)").matcher(line);
    while (matcher.find()) {
      tokens.add(matcher.group(1) != null ? matcher.group(1) : matcher.group(2));
    }
    List<String> options = new ArrayList<>();
    for (int i = 1; i < tokens.size(); i++) { // the first is the binary
      if (tokens.get(i).equals("-D")) {
        i++;
        continue;
      }
      options.add("\"" + tokens.get(i) + "\"");
    }
    return options;
  }

  /**
   * What {@code pg_ctl stop -m fast} does: SIGINT to the postmaster, then wait until it is gone. (Sent from here
   * because a pg_ctl run under {@code unshare -U}, as below, may not signal a postmaster in another namespace.)
   */
  private static void fastShutdown(long postmaster, Path pgDir) throws Exception {
    Process kill = new ProcessBuilder("kill", "-s", "INT", Long.toString(postmaster)).start();
    assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -INT " + postmaster + " failed");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while ((ProcessHandle.of(postmaster).map(ProcessHandle::isAlive).orElse(false)
        || Files.exists(pgDir.resolve("postmaster.pid"))) && System.nanoTime() < deadline) {
      ChildJvm.sleep(20);
    }
    assertFalse(Files.exists(pgDir.resolve("postmaster.pid")), "PostgreSQL did not stop within 60 s");
  }

  /**
   * Runs {@code pg_ctl} (found next to the postmaster's binary) on {@code pgDir}, waiting for the result. As root it
   * runs under {@code unshare -U}, as zonky starts it (PostgreSQL refuses to run as root).
   */
  private static void pgCtl(Path pgCtl, Path pgDir, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    if (System.getProperty("user.name").equals("root")) {
      command.addAll(List.of("unshare", "-U"));
    }
    command.addAll(List.of(pgCtl.toString(), "-D", pgDir.toString(), "-w"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(Path.of("target", "crash", "postgres-restart-pg_ctl.log").toFile()).start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "pg_ctl " + args[0] + " did not finish");
    assertEquals(0, process.exitValue(), "pg_ctl " + args[0] + " failed; see target/crash/postgres-restart-pg_ctl.log");
  }
}

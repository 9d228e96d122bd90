package dev.parley.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The data-directory lock and what a start does with what a power cut leaves behind, in this JVM. (Servers left
 * running by a killed Parley, and the guardian, need a JVM to kill: see {@code dev.parley.crash}.)
 */
class EmbeddedStoresTest {
  private Path dataDir;
  private final List<Process> strangers = new ArrayList<>();

  @BeforeEach
  void createDirectory() throws Exception {
    dataDir = Files.createTempDirectory("parley-embedded-stores");
  }

  @AfterEach
  void removeDirectory() throws Exception {
    strangers.forEach(Process::destroyForcibly);
    try (var paths = Files.walk(dataDir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void aSecondUserOfTheDataDirectoryIsRefusedAtOnceUntilTheFirstCloses() throws Exception {
    try (var first = DataDirLock.acquire(dataDir)) {
      var refused = assertThrows(DataDirLock.InUse.class, () -> DataDirLock.acquire(dataDir.resolve(".")));
      assertTrue(refused.getMessage().contains("in use by another running Parley"), refused.getMessage());
      assertEquals(ProcessHandle.current().pid() + "",
          Files.readString(dataDir.resolve(DataDirLock.FILE_NAME)).strip(), "the holder's pid is in the file");
    }
    DataDirLock.acquire(dataDir).close(); // released: free again
  }

  @Test
  void aPostmasterPidFileWhosePidNowBelongsToAnotherProgramIsRemovedAndPostgresStarts() throws Exception {
    String pidFile = runOnceAndKeepPidFile();
    // after a power cut the PID may belong to anything: here a sleeping shell, which PostgreSQL would take for a
    // live postmaster ("lock file already exists") and refuse to start
    Process stranger = new ProcessBuilder("sleep", "120").start();
    strangers.add(stranger);
    Path pgDir = dataDir.resolve("postgres");
    Files.writeString(pgDir.resolve("postmaster.pid"), pidFile.replaceFirst("^\\d+", Long.toString(stranger.pid())));

    try (var stores = EmbeddedStores.open(dataDir)) {
      assertQueryable(stores.startPostgres());
    }
    assertTrue(stranger.isAlive(), "the unrelated process must not be signalled");
  }

  @Test
  void aPostmasterPidFileOfAProcessThatIsGoneDoesNotStopTheStart() throws Exception {
    String pidFile = runOnceAndKeepPidFile();
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
    Files.writeString(dataDir.resolve("postgres").resolve("postmaster.pid"),
        pidFile.replaceFirst("^\\d+", Long.toString(gone.pid())));

    try (var stores = EmbeddedStores.open(dataDir)) {
      assertQueryable(stores.startPostgres());
    }
  }

  @Test
  void closingStopsTheServersDismissesTheGuardianAndReleasesTheLock() throws Exception {
    long guardian;
    long postgres;
    long redis;
    try (var stores = EmbeddedStores.open(dataDir)) {
      postgres = LeftoverServers.firstLinePid(stores.startPostgres().pidFile()).orElseThrow();
      redis = LeftoverServers.firstLinePid(stores.startRedis().pidFile()).orElseThrow();
      guardian = stores.guardianPid();
      for (long pid : List.of(postgres, redis, guardian)) {
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " runs");
      }
    }
    // pg_ctl returns once postmaster.pid is gone, a moment before the process itself ends
    assertTrue(ended(postgres), "PostgreSQL stopped");
    assertTrue(ended(redis), "Redis stopped");
    assertTrue(ended(guardian), "the guardian ended");
    assertFalse(Files.exists(dataDir.resolve("postgres").resolve("postmaster.pid")));
    assertFalse(Files.exists(dataDir.resolve("redis").resolve(EmbeddedRedisServer.PID_FILE)));
    DataDirLock.acquire(dataDir).close();
  }

  private static boolean ended(long pid) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /** Starts and stops PostgreSQL in the data directory, returning its postmaster.pid as it was while running. */
  private String runOnceAndKeepPidFile() throws Exception {
    try (var stores = EmbeddedStores.open(dataDir)) {
      return Files.readString(stores.startPostgres().pidFile());
    }
  }

  private static void assertQueryable(EmbeddedPostgresServer server) throws Exception {
    var options = PgConnectOptions.fromUri(server.url("postgres"));
    try (var connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + options.getPort()
        + "/postgres", "postgres", "postgres"); var result = connection.createStatement().executeQuery("SELECT 1")) {
      assertTrue(result.next());
    }
  }
}

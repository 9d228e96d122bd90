package dev.parley.infra;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL and Redis of one data directory, started so that a crash never blocks the next start:
 * <ol>
 *   <li>{@link #open} takes the directory's {@link DataDirLock} (another live Parley there: fail at once);</li>
 *   <li>each start first stops what a dead Parley left running there ({@link LeftoverServers}), then starts the
 *       server and has the {@link StoreGuardian} watch it, so that it stops when this JVM dies, even by kill -9;</li>
 *   <li>{@link #close} stops the servers in reverse order, dismisses the guardian, then releases the lock.</li>
 * </ol>
 * PostgreSQL lives in {@code <dir>/postgres}, Redis in {@code <dir>/redis}. Blocking: call from the main thread.
 *
 * <p>A leftover server is stopped rather than adopted: zonky cannot attach to a running postmaster (it always runs
 * {@code pg_ctl start}), the leftover runs with the settings and binaries of an earlier start (fsync, a version since
 * replaced), its guardian may be stopping it at that very moment, and a fast shutdown takes about a second.
 */
public final class EmbeddedStores implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedStores.class);

  private final DataDirLock lock;
  private final StoreGuardian guardian;
  private final Deque<AutoCloseable> servers = new ArrayDeque<>();

  private EmbeddedStores(DataDirLock lock, StoreGuardian guardian) {
    this.lock = lock;
    this.guardian = guardian;
  }

  /** Locks {@code dataDir} for this JVM and starts the guardian; fails with {@link DataDirLock.InUse} if taken. */
  public static EmbeddedStores open(Path dataDir) throws IOException {
    DataDirLock lock = DataDirLock.acquire(dataDir);
    try {
      return new EmbeddedStores(lock, StoreGuardian.start());
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** Stops a PostgreSQL left running in {@code <dir>/postgres}, then starts this JVM's own there. */
  public synchronized EmbeddedPostgresServer startPostgres() throws IOException {
    Path dir = lock.dir().resolve("postgres");
    if (dir.toFile().isDirectory()) {
      LeftoverServers.stopPostgres(dir);
    }
    EmbeddedPostgresServer server = EmbeddedPostgresServer.start(dir);
    servers.push(server);
    if (guardian != null) {
      guardian.watch("INT", server.pidFile()); // fast shutdown
    }
    return server;
  }

  /** Stops a Redis left running in {@code <dir>/redis}, then starts this JVM's own there. */
  public synchronized EmbeddedRedisServer startRedis() throws IOException {
    Path dir = lock.dir().resolve("redis");
    if (dir.toFile().isDirectory()) {
      LeftoverServers.stopRedis(dir, EmbeddedRedisServer.PID_FILE);
    }
    EmbeddedRedisServer server = EmbeddedRedisServer.start(dir);
    servers.push(server);
    if (guardian != null) {
      guardian.watch("TERM", server.pidFile());
    }
    return server;
  }

  /** The guardian's PID, or -1 without one (tests kill it to leave the servers orphaned, as a power cut would). */
  public long guardianPid() {
    return guardian == null ? -1 : guardian.pid();
  }

  @Override
  public synchronized void close() {
    while (!servers.isEmpty()) {
      AutoCloseable server = servers.pop();
      try {
        server.close();
      } catch (Exception e) {
        log.warn("stop {} failed: {}", server.getClass().getSimpleName(), e.toString());
      }
    }
    // dismissed only now: a JVM killed while it stops the servers still has them stopped by the guardian
    if (guardian != null) {
      guardian.dismiss();
    }
    try {
      lock.close();
    } catch (IOException e) {
      log.warn("release of {} failed: {}", lock.dir(), e.toString());
    }
  }
}

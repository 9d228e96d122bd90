package dev.parley.infra;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 (zonky's binaries) started when no external server is configured. Its data folder
 * survives restarts; {@link #close()} stops it with a fast shutdown. Blocking: call from the main thread.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  /** System property: {@code false} runs the embedded server without fsync (tests only). */
  public static final String FSYNC_PROPERTY = "parley.embedded.fsync";

  private final EmbeddedPostgres postgres;
  private final Path dataDir;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDir) {
    this.postgres = postgres;
    this.dataDir = dataDir;
  }

  /**
   * Starts PostgreSQL on a free loopback port with its files in {@code dataDir}. A postmaster still running there
   * makes this fail after zonky's 10 s wait: {@link EmbeddedStores} stops such leftovers first.
   */
  public static EmbeddedPostgresServer start(Path dataDir) throws IOException {
    // absolute, so that the postmaster's command line names its directory (how a leftover is recognised without /proc)
    dataDir = dataDir.toAbsolutePath().normalize();
    Files.createDirectories(dataDir.getParent());
    EmbeddedPostgres postgres = EmbeddedPostgres.builder()
        .setDataDirectory(dataDir)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(false)
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("max_connections", "200")
        .setServerConfig("synchronous_commit", "on")
        // zonky starts PostgreSQL with -F (no fsync); a commit Parley acknowledges must survive a power cut, so fsync
        // is on unless the JVM says otherwise (the test suite does, for speed: it never pulls the plug)
        .setServerConfig("fsync", Boolean.parseBoolean(System.getProperty(FSYNC_PROPERTY, "true")) ? "on" : "off")
        .start();
    log.info("embedded PostgreSQL listening on 127.0.0.1:{} (data in {}, fsync {})", postgres.getPort(), dataDir,
        System.getProperty(FSYNC_PROPERTY, "true"));
    return new EmbeddedPostgresServer(postgres, dataDir);
  }

  /** {@code postmaster.pid}: the postmaster's PID on its first line while it runs. */
  public Path pidFile() {
    return dataDir.resolve("postmaster.pid");
  }

  /** A URL for the given database on this server (user postgres, trust authentication). */
  public String url(String database) {
    return "postgresql://postgres:postgres@127.0.0.1:" + postgres.getPort() + "/" + database;
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    log.info("embedded PostgreSQL stopped");
  }
}

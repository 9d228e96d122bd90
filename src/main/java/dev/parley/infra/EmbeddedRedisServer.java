package dev.parley.infra;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;

/**
 * A real Redis 6.2 (codemonstur's bundled binary) started when no external server is configured. It keeps no
 * snapshot: everything Parley stores in Redis is rebuilt from PostgreSQL on start. Blocking: main thread only.
 */
public final class EmbeddedRedisServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedRedisServer.class);

  /** The file in its working directory where Redis writes its PID (removed when it stops normally). */
  public static final String PID_FILE = "redis.pid";

  private final RedisServer server;
  private final int port;
  private final Path workDir;

  private EmbeddedRedisServer(RedisServer server, int port, Path workDir) {
    this.server = server;
    this.port = port;
    this.workDir = workDir;
  }

  /** Starts Redis on a free loopback port, working in {@code workDir} (its pid file is written there). */
  public static EmbeddedRedisServer start(Path workDir) throws IOException {
    Files.createDirectories(workDir);
    workDir = workDir.toAbsolutePath().normalize();
    int port = freePort();
    RedisServer server = RedisServer.newRedisServer()
        .port(port)
        .bind("127.0.0.1")
        .setting("dir " + workDir)
        .setting("pidfile " + workDir.resolve(PID_FILE))
        .setting("save \"\"")
        .setting("appendonly no")
        .onShutdownForceStop(true)
        .build();
    server.start();
    log.info("embedded Redis listening on 127.0.0.1:{}", port);
    return new EmbeddedRedisServer(server, port, workDir);
  }

  /** Where Redis wrote its PID. */
  public Path pidFile() {
    return workDir.resolve(PID_FILE);
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() throws IOException {
    server.stop();
    Files.deleteIfExists(pidFile()); // stopped with SIGKILL (onShutdownForceStop), it could not remove it itself
    log.info("embedded Redis stopped");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}

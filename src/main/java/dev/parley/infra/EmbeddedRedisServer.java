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

  private final RedisServer server;
  private final int port;

  private EmbeddedRedisServer(RedisServer server, int port) {
    this.server = server;
    this.port = port;
  }

  public static EmbeddedRedisServer start(Path workDir) throws IOException {
    Files.createDirectories(workDir);
    int port = freePort();
    RedisServer server = RedisServer.newRedisServer()
        .port(port)
        .bind("127.0.0.1")
        .setting("dir " + workDir.toAbsolutePath())
        .setting("save \"\"")
        .setting("appendonly no")
        .onShutdownForceStop(true)
        .build();
    server.start();
    log.info("embedded Redis listening on 127.0.0.1:{}", port);
    return new EmbeddedRedisServer(server, port);
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  public void close() throws IOException {
    server.stop();
    log.info("embedded Redis stopped");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }
}

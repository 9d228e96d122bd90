package dev.parley.testing;

import dev.parley.infra.EmbeddedPostgresServer;
import dev.parley.infra.EmbeddedRedisServer;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * One PostgreSQL and one Redis per test JVM: embedded ones started on first use, or the external servers named
 * by {@code PARLEY_PG_URL} / {@code PARLEY_REDIS_URL} (the same variables production uses). Each test class
 * gets its own database and Redis key prefix from {@link TestApp}.
 */
public final class TestServers {
  private static String pgBaseUrl;
  private static String redisUrl;

  private TestServers() {}

  /** A URL for {@code database} on the test PostgreSQL server. */
  public static synchronized String postgresUrl(String database) {
    if (pgBaseUrl == null) {
      String external = System.getenv("PARLEY_PG_URL");
      if (external != null && !external.isBlank()) {
        pgBaseUrl = external;
      } else {
        try {
          Path dir = Files.createTempDirectory("parley-test-pg");
          var server = EmbeddedPostgresServer.start(dir.resolve("data"));
          pgBaseUrl = server.url("postgres");
          Runtime.getRuntime().addShutdownHook(new Thread(() -> close(server)));
        } catch (Exception e) {
          throw new IllegalStateException("cannot start embedded PostgreSQL", e);
        }
      }
    }
    URI base = URI.create(pgBaseUrl);
    return base.getScheme() + "://" + base.getRawAuthority() + "/" + database
        + (base.getRawQuery() == null ? "" : "?" + base.getRawQuery());
  }

  public static synchronized String redisUrl() {
    if (redisUrl == null) {
      String external = System.getenv("PARLEY_REDIS_URL");
      if (external != null && !external.isBlank()) {
        redisUrl = external;
      } else {
        try {
          var server = EmbeddedRedisServer.start(Files.createTempDirectory("parley-test-redis"));
          redisUrl = server.url();
          Runtime.getRuntime().addShutdownHook(new Thread(() -> close(server)));
        } catch (Exception e) {
          throw new IllegalStateException("cannot start embedded Redis", e);
        }
      }
    }
    return redisUrl;
  }

  /** Runs one statement on the server's maintenance database (CREATE/DROP DATABASE, ALTER DATABASE...). */
  public static void admin(String sql) {
    PgConnectOptions options = PgConnectOptions.fromUri(postgresUrl("postgres"));
    String jdbc = "jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/postgres";
    try (var connection = DriverManager.getConnection(jdbc, options.getUser(), options.getPassword());
        var statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  private static void close(AutoCloseable server) {
    try {
      server.close();
    } catch (Exception e) {
      // the JVM is exiting
    }
  }
}

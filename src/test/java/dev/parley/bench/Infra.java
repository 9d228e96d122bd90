package dev.parley.bench;

import dev.parley.infra.EmbeddedPostgresServer;
import dev.parley.infra.EmbeddedRedisServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The benchmark's PostgreSQL and Redis: the servers named by {@code PARLEY_PG_URL} / {@code PARLEY_REDIS_URL} (use
 * a scratch database: the run leaves its data there), otherwise embedded ones in the run's work folder, started
 * the way Parley starts its own (synchronous commit on).
 */
final class Infra implements AutoCloseable {
  final String pgUrl;
  final String redisUrl;
  final boolean embedded;
  private final EmbeddedPostgresServer postgres;
  private final EmbeddedRedisServer redis;
  private final Path dataDir;

  private Infra(String pgUrl, String redisUrl, EmbeddedPostgresServer postgres, EmbeddedRedisServer redis,
      Path dataDir) {
    this.dataDir = dataDir;
    this.pgUrl = pgUrl;
    this.redisUrl = redisUrl;
    this.postgres = postgres;
    this.redis = redis;
    this.embedded = postgres != null || redis != null;
  }

  static Infra start(Path work) throws IOException {
    String pgUrl = System.getenv("PARLEY_PG_URL");
    String redisUrl = System.getenv("PARLEY_REDIS_URL");
    EmbeddedPostgresServer postgres = null;
    EmbeddedRedisServer redis = null;
    if (pgUrl == null || pgUrl.isBlank()) {
      postgres = EmbeddedPostgresServer.start(work.resolve("postgres"));
      pgUrl = postgres.url("postgres");
    }
    if (redisUrl == null || redisUrl.isBlank()) {
      redis = EmbeddedRedisServer.start(work.resolve("redis"));
      redisUrl = redis.url();
    }
    return new Infra(pgUrl, redisUrl, postgres, redis, work.resolve("postgres"));
  }

  /**
   * CPU seconds PostgreSQL has used so far, all its processes together (the postmaster's own and reaped children's
   * time, plus the live backends' and background workers'); -1 for an external server, which may run elsewhere.
   */
  double postgresCpuSeconds() {
    if (postgres == null) {
      return -1;
    }
    try {
      long postmaster = Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).strip());
      long ticks = 0;
      try (var entries = Files.list(Path.of("/proc"))) {
        for (Path entry : (Iterable<Path>) entries::iterator) {
          String name = entry.getFileName().toString();
          if (!name.chars().allMatch(Character::isDigit)) {
            continue;
          }
          String[] fields;
          try {
            String stat = Files.readString(entry.resolve("stat"));
            fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          } catch (IOException | RuntimeException gone) {
            continue; // the process ended meanwhile
          }
          long pid = Long.parseLong(name);
          if (pid == postmaster) {
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]) + Long.parseLong(fields[13])
                + Long.parseLong(fields[14]);
          } else if (Long.parseLong(fields[1]) == postmaster) {
            ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
          }
        }
      }
      return ticks / (double) ParleyProcess.CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** CPU seconds the embedded Redis has used so far; -1 for an external server. */
  double redisCpuSeconds() {
    if (redis == null) {
      return -1;
    }
    try {
      String pid = Files.readAllLines(redis.pidFile()).get(0).strip();
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) ParleyProcess.CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** PostgreSQL's and Redis's CPU seconds together; -1 unless both are embedded (and so measurable here). */
  double storesCpuSeconds() {
    double postgresCpu = postgresCpuSeconds();
    double redisCpu = redisCpuSeconds();
    return postgresCpu < 0 || redisCpu < 0 ? -1 : postgresCpu + redisCpu;
  }

  /** What the report says about the servers. */
  String describe() {
    return embedded ? "embedded PostgreSQL 17 (synchronous_commit on, fsync on) and Redis 6.2"
        : "external servers from the environment";
  }

  @Override
  public void close() throws IOException {
    if (redis != null) {
      redis.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }
}

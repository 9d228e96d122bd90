package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnectOptions;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares the PostgreSQL database at start-up: creates it when missing, applies the Flyway migrations in
 * {@code db/migration}, and opens the reactive pool. The preparation uses JDBC and blocks: call it from
 * the main thread before any verticle is deployed.
 */
public final class Database {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private Database() {}

  /** Creates the database named in {@code url} if it does not exist, then migrates it. */
  public static void prepare(String url) throws SQLException {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    createIfMissing(options);
    var flyway = Flyway.configure()
        .dataSource(jdbcUrl(options, options.getDatabase()), options.getUser(), options.getPassword())
        .locations("classpath:db/migration")
        .load();
    var result = flyway.migrate();
    log.info("database {} at schema version {} ({} migration(s) applied)",
        options.getDatabase(), flyway.info().current().getVersion(), result.migrationsExecuted);
  }

  /**
   * Marks a statement PostgreSQL must plan for each execution's values: one that starts with it is sent as an
   * unnamed statement (parsed and planned each time) instead of being kept prepared on the connection, where
   * PostgreSQL switches to a generic plan after five executions. A generic plan cannot see a page's size or how
   * rare a filter's value is: for the inbox list's label filter it chose to walk the whole activity index.
   */
  public static final String PLAN_PER_EXECUTION = "/* planned per execution */ ";

  /**
   * Begins a transaction whose statements run on their cached generic plans. A prepared statement that takes arrays
   * ({@code unnest}, {@code = ANY}) has a custom plan whose estimate follows the arrays' sizes and stays below the
   * generic plan's, so PostgreSQL never settles and plans it anew on every execution: 0.1–0.4 ms of its CPU each
   * time for the projection's statements and the media claim ({@code pg_stat_statements} with
   * {@code track_planning}; docs/performance.md, seventh pass). For statements whose plan does not depend on the
   * values (index lookups per element), the generic plan is the same plan, made once per connection.
   */
  static final String BEGIN_ON_GENERIC_PLANS = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan";

  /**
   * Runs {@code work} in a transaction on generic plans ({@link #BEGIN_ON_GENERIC_PLANS}), on one connection, its
   * {@code BEGIN} pipelined with the first statements instead of waited for (as {@code Pool.withTransaction} does):
   * one round trip less. Commits when {@code work} succeeded, rolls back otherwise; a deferred constraint that fails
   * at {@code COMMIT} fails the result.
   */
  public static <T> Future<T> onGenericPlans(Pool pool, Function<SqlClient, Future<T>> work) {
    return pool.withConnection(connection -> {
      Future<?> begun = connection.query(BEGIN_ON_GENERIC_PLANS).execute();
      Future<T> done;
      try {
        done = work.apply(connection);
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      Future<T> result = done;
      return Future.join(begun, result).transform(both -> {
        if (both.succeeded()) {
          return connection.query("COMMIT").execute().map(committed -> result.result());
        }
        Throwable failure = begun.failed() ? begun.cause() : result.cause();
        return connection.query("ROLLBACK").execute().transform(rolledBack -> Future.<T>failedFuture(failure));
      });
    });
  }

  public static Pool pool(Vertx vertx, String url, int size) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size).setName("parley-pg").setMaxWaitQueueSize(10_000))
        .connectingTo(PgConnectOptions.fromUri(url).setReconnectAttempts(0).setPipeliningLimit(256)
            // the hot paths' statements are parsed and planned once per connection
            .setCachePreparedStatements(true).setPreparedStatementCacheMaxSize(1024)
            .setPreparedStatementCacheSqlFilter(Database::cached))
        .using(vertx)
        .build();
  }

  static boolean cached(String sql) {
    return sql.length() < SqlConnectOptions.DEFAULT_PREPARED_STATEMENT_CACHE_SQL_LIMIT
        && !sql.startsWith(PLAN_PER_EXECUTION);
  }

  /** A plain JDBC connection to the database of {@code url} (for command-line tools, not for request paths). */
  public static java.sql.Connection connect(String url) throws SQLException {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    return DriverManager.getConnection(jdbcUrl(options, options.getDatabase()), options.getUser(), options.getPassword());
  }

  private static void createIfMissing(PgConnectOptions options) throws SQLException {
    String name = options.getDatabase();
    try (var connection = DriverManager.getConnection(
            jdbcUrl(options, "postgres"), options.getUser(), options.getPassword());
        var check = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      check.setString(1, name);
      if (check.executeQuery().next()) {
        return;
      }
      try (var create = connection.createStatement()) {
        create.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
        log.info("created database {}", name);
      } catch (SQLException e) {
        if (!"42P04".equals(e.getSQLState())) { // another node created it first
          throw e;
        }
      }
    }
  }

  private static String jdbcUrl(PgConnectOptions options, String database) {
    return "jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/" + database;
  }

  /**
   * The LIKE pattern matching any text that contains {@code text} in lower case, with LIKE's wildcards and escape
   * character in {@code text} taken literally (compare it with {@code lower(column)}).
   */
  static String containing(String text) {
    String lower = text.toLowerCase(java.util.Locale.ROOT);
    return "%" + lower.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
  }

  /** The LIKE pattern matching any text that starts with {@code text} in lower case, wildcards taken literally. */
  static String startingWith(String text) {
    String pattern = containing(text);
    return pattern.substring(1);
  }

  /**
   * The parameters of a set-based statement, one array per column ({@code unnest($1::uuid[], $2::text[], ...)}).
   * {@code Tuple.of(a, b)} would take an array {@code b} as its varargs array and spread it.
   */
  static io.vertx.sqlclient.Tuple arrays(Object... columns) {
    return io.vertx.sqlclient.Tuple.from(columns);
  }

  /** A column list ({@code "a, b"}) with each column qualified by a table alias ({@code "m.a, m.b"}). */
  static String qualified(String alias, String columns) {
    return java.util.Arrays.stream(columns.split(","))
        .map(column -> alias + "." + column.strip())
        .collect(java.util.stream.Collectors.joining(", "));
  }
}

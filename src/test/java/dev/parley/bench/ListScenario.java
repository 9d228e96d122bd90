package dev.parley.bench;

import dev.parley.store.Database;
import dev.parley.tools.Dataset;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * Scenario 5: the inbox list ({@code GET /api/v1/conversations}) of an organization of 100,000 conversations and
 * 1,000,000 messages ({@link Dataset}), for the filters an inbox offers (all, open, mine, unassigned, a label,
 * unread, a second page), each at a fixed open-loop rate; the requests are signed in as an agent.
 */
final class ListScenario {
  private static final String AUTOVACUUM_RUNS =
      "SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_all_tables";
  private final Vertx vertx;
  private final Bench.Mode mode;

  ListScenario(Vertx vertx, Bench.Mode mode) {
    this.vertx = vertx;
    this.mode = mode;
  }

  JsonObject run(ParleyProcess parley, String pgUrl, Fixtures fixtures) throws Exception {
    long started = System.nanoTime();
    Dataset.Generated data = Dataset.generate(pgUrl, mode.listConversations(), mode.listMessages(), 20);
    double generated = (System.nanoTime() - started) / 1e9;
    // a database in steady state, not one autovacuum is about to rework: the bulk load's pages vacuumed (GIN pending
    // lists merged, visibility map set) and statistics fresh, and its gigabyte of dirty pages written out by a
    // checkpoint, which would otherwise flush them (fsync on) in the middle of the measurement
    long vacuumStarted = System.nanoTime();
    try (var db = Database.connect(pgUrl); var statement = db.createStatement()) {
      statement.execute("VACUUM (ANALYZE) contacts, contact_identities, conversations, messages");
      try {
        statement.execute("CHECKPOINT");
      } catch (java.sql.SQLException e) { // an external server's user may lack the right (pg_checkpoint)
        System.out.printf("list: no CHECKPOINT before measuring (%s)%n", e.getMessage());
      }
    }
    double vacuumed = (System.nanoTime() - vacuumStarted) / 1e9;
    System.out.printf("list: %s%n", data);
    UUID agent = data.agentIds().get(0);
    String token = fixtures.token(agent, data.organizationId(), "agent");
    var client = new Client(vertx, parley.port(), 32);
    try {
      String first = client.get("/api/v1/conversations?limit=25", token).await().toJsonObject().getString("next_cursor");
      Map<String, String> queries = new LinkedHashMap<>();
      queries.put("all", "/api/v1/conversations?limit=25");
      queries.put("open", "/api/v1/conversations?status=open&limit=25");
      queries.put("mine", "/api/v1/conversations?assignee=me&status=open&limit=25");
      queries.put("unassigned", "/api/v1/conversations?assignee=unassigned&status=open&limit=25");
      queries.put("label", "/api/v1/conversations?label=vip&limit=25");
      queries.put("unread", "/api/v1/conversations?unread=true&limit=25");
      queries.put("page_2", "/api/v1/conversations?limit=25&cursor=" + first);
      var uris = List.copyOf(queries.values());
      // warm-up, not reported: every filter, long enough for the JIT to finish with the list's path (a warm-up of
      // a few seconds left the first filter measuring the compiler)
      OpenLoop.run(vertx, 100, Duration.ofSeconds(mode.warmupSeconds()), 5_000,
          (i, intended) -> client.get(uris.get((int) (i % uris.size())), token));
      var all = new Histogram(3);
      var results = new JsonArray();
      try (var db = Database.connect(pgUrl)) {
        String checkpoints = db.getMetaData().getDatabaseMajorVersion() >= 17
            ? "SELECT num_timed + num_requested FROM pg_stat_checkpointer"
            : "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter";
        for (var query : queries.entrySet()) {
          // what PostgreSQL did besides answering: checkpoints, and autovacuum and autoanalyze runs finished (of the
          // tables the earlier scenarios wrote, for instance)
          long checkpointsBefore = count(db, checkpoints);
          long autovacuumsBefore = count(db, AUTOVACUUM_RUNS);
          OpenLoop.Result run = OpenLoop.run(vertx, mode.listRate(), Duration.ofSeconds(mode.listSeconds()), 5_000,
              (i, intended) -> client.get(query.getValue(), token));
          long checkpointed = count(db, checkpoints) - checkpointsBefore;
          long autovacuumed = count(db, AUTOVACUUM_RUNS) - autovacuumsBefore;
          all.add(run.latency());
          results.add(Stats.step(run).put("filter", query.getKey()).put("uri", query.getValue().replace(first, "…"))
              .put("checkpoints", checkpointed).put("autovacuum_runs", autovacuumed));
          System.out.printf("list %-10s at %d/s: p50 %.2f ms, p99 %.2f ms, failed %d, checkpoints %d, autovacuum runs "
                  + "%d%n", query.getKey(), mode.listRate(), run.latency().getValueAtPercentile(50) / 1000.0,
              run.latency().getValueAtPercentile(99) / 1000.0, run.failed(), checkpointed, autovacuumed);
        }
        try (var statement = db.createStatement();
             var rows = statement.executeQuery("SELECT pg_size_pretty(pg_database_size(current_database()))")) {
          rows.next();
          return new JsonObject()
              .put("conversations", data.conversations())
              .put("messages", data.messages())
              .put("generated_seconds", Stats.round(generated, 1))
              .put("vacuum_seconds", Stats.round(vacuumed, 1))
              .put("database_size", rows.getString(1))
              .put("rate_per_filter", mode.listRate())
              .put("latency", Stats.latency(all))
              .put("filters", results);
        }
      }
    } finally {
      client.close();
    }
  }

  /** The one number a counting statement answers. */
  private static long count(java.sql.Connection db, String sql) throws java.sql.SQLException {
    try (var statement = db.createStatement(); var rows = statement.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}

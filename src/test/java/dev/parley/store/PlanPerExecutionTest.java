package dev.parley.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.store.ConversationStore.ListFilter;
import dev.parley.testing.TestApp;
import dev.parley.testing.TestServers;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hot paths' statements stay prepared on the connection (parsed and planned once), while the inbox list filtered
 * by label or text is planned for each execution's values, so PostgreSQL never settles on a generic plan for it.
 */
class PlanPerExecutionTest {
  private static TestApp app;
  private static Pool single;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    single = Database.pool(app.parley.vertx(), TestServers.postgresUrl(app.database), 1);
  }

  @AfterAll
  static void stop() {
    single.close().await();
    app.close();
  }

  @Test
  void theListIsNeverKeptPreparedWhileOtherStatementsAre() {
    UUID org = app.one("SELECT organization_id FROM channels WHERE id = $1", TestApp.CHANNEL_ID).getUUID(0);
    var store = new ConversationStore();
    var filter = new ListFilter("open", null, false, null, "vip", false, null);
    for (int i = 0; i < 8; i++) { // PostgreSQL considers a generic plan after five executions
      store.list(single, org, filter, null, null, 51).await();
      store.belongs(single, org, UUID.randomUUID()).await();
    }
    List<String> prepared = new ArrayList<>();
    for (Row row : single.query("SELECT statement FROM pg_prepared_statements").execute().await()) {
      prepared.add(row.getString(0));
    }
    assertTrue(prepared.stream().anyMatch(sql -> sql.startsWith("SELECT 1 FROM conversations WHERE id = $1")),
        prepared::toString);
    assertFalse(prepared.stream().anyMatch(sql -> sql.contains("FROM conversations c")), prepared::toString);
  }

  @Test
  void onlyMarkedOrOversizedStatementsAreLeftOutOfTheCache() {
    UUID org = UUID.randomUUID();
    var labelled = ConversationStore.listQuery(org, new ListFilter(null, null, false, null, "vip", false, null),
        null, null, 20);
    var searched = ConversationStore.listQuery(org, new ListFilter("open", null, false, null, null, false, "ana"),
        null, null, 20);
    for (var valueDependent : List.of(labelled, searched)) {
      assertFalse(Database.cached(valueDependent.getKey()));
      assertEquals(Database.PLAN_PER_EXECUTION,
          valueDependent.getKey().substring(0, Database.PLAN_PER_EXECUTION.length()));
    }
    // the other filters have one best index whatever their values: planned once per connection
    var mineOpen = ConversationStore.listQuery(org, new ListFilter("open", UUID.randomUUID(), false, null, null, true,
        null), null, null, 20);
    assertTrue(Database.cached(mineOpen.getKey()));
    assertTrue(mineOpen.getKey().contains("c.status = 'open'"), mineOpen.getKey());
    assertTrue(Database.cached("SELECT 1"));
    assertFalse(Database.cached("SELECT '" + "x".repeat(4096) + "'"));
  }

  /**
   * A statement that takes an array has a custom plan cheaper on paper than its generic one, so PostgreSQL plans it
   * anew on every execution; in {@link Database#onGenericPlans} it is planned once per connection.
   */
  @Test
  void anArrayStatementOnGenericPlansIsPlannedOnce() {
    String sql = "SELECT count(*) FROM channels WHERE id = ANY($1::uuid[]) /* generic plans test */";
    Row plans = Database.onGenericPlans(single, tx -> {
      io.vertx.core.Future<Void> runs = io.vertx.core.Future.succeededFuture();
      for (int i = 0; i < 8; i++) {
        runs = runs.compose(v -> tx.preparedQuery(sql).execute(io.vertx.sqlclient.Tuple.of(
            new UUID[] {TestApp.CHANNEL_ID, UUID.randomUUID()})).mapEmpty());
      }
      return runs.compose(v -> tx.query("SELECT current_setting('plan_cache_mode'), "
              + "(SELECT custom_plans FROM pg_prepared_statements WHERE statement LIKE '%generic plans test%'), "
              + "(SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE '%generic plans test%')")
          .execute().map(rows -> rows.iterator().next()));
    }).await();
    assertEquals("force_generic_plan", plans.getString(0));
    assertEquals(0L, plans.getLong(1), "custom plans");
    assertEquals(8L, plans.getLong(2), "generic plans");
    // the setting is the transaction's own
    assertEquals("auto", single.query("SELECT current_setting('plan_cache_mode')").execute().await().iterator().next()
        .getString(0));
  }

  @Test
  void aFailedTransactionOnGenericPlansRollsBack() {
    UUID org = UUID.randomUUID();
    boolean failed = Database.onGenericPlans(single, tx -> tx.preparedQuery(
            "INSERT INTO organizations (id, name) VALUES ($1, 'generic plans rollback')")
        .execute(io.vertx.sqlclient.Tuple.of(org))
        .compose(rows -> io.vertx.core.Future.failedFuture("refused after the insert")))
        .transform(result -> io.vertx.core.Future.succeededFuture(result.failed()))
        .await();
    assertTrue(failed, "the work's failure is the transaction's");
    assertEquals(0L, app.one("SELECT count(*) FROM organizations WHERE id = $1", org).getLong(0));
  }
}

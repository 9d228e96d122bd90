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
 * The hot paths' statements stay prepared on the connection (parsed and planned once), while the inbox list is
 * planned for each execution's values, so PostgreSQL never settles on a generic plan for it.
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
    var list = ConversationStore.listQuery(UUID.randomUUID(), new ListFilter(null, null, true, null, null, false, null),
        null, null, 20);
    assertFalse(Database.cached(list.getKey()));
    assertTrue(Database.cached("SELECT 1"));
    assertFalse(Database.cached("SELECT '" + "x".repeat(4096) + "'"));
    assertEquals(Database.PLAN_PER_EXECUTION, list.getKey().substring(0, Database.PLAN_PER_EXECUTION.length()));
  }
}

package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.push.EventPublisher;
import dev.parley.testing.TestApp;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Units submitted together share transactions, and one failing unit fails alone. */
class TransactionGroupsTest {
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    app.sql("CREATE TABLE group_units (id int PRIMARY KEY, tx bigint NOT NULL)");
    app.sql("INSERT INTO group_units VALUES (7, 0)");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void unitsSubmittedTogetherShareTransactions() {
    List<Future<Long>> results = submit(100, -1);
    var transactions = new HashSet<Long>();
    results.forEach(result -> transactions.add(result.result()));
    // the first unit runs alone; the other 29 waited for it and went together
    assertEquals(2, transactions.size());
    assertEquals(30L, app.one("SELECT count(*) FROM group_units WHERE id BETWEEN 100 AND 129").getLong(0));
  }

  @Test
  void aFailingUnitFailsAloneAndTheOthersAreStored() {
    List<Future<Long>> results = submit(200, 7); // unit 7 inserts id 7, which is taken
    for (int i = 0; i < 30; i++) {
      assertEquals(i != 7, results.get(i).succeeded(), "unit " + i + ": " + results.get(i).cause());
    }
    assertEquals(29L, app.one("SELECT count(*) FROM group_units WHERE id BETWEEN 200 AND 229").getLong(0));
  }

  /** Submits 30 units from one event-loop turn, inserting ids from {@code first} (unit {@code taken}: id 7). */
  private static List<Future<Long>> submit(int first, int taken) {
    var vertx = app.parley.vertx();
    var committer = new Committer(app.parley.pool(), app.cache(), new EventPublisher(vertx, null), null);
    Promise<List<Future<Long>>> submitted = Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> {
      var groups = new TransactionGroups(app.parley.pool(), committer, 1, 50);
      List<Future<Long>> results = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        int id = i == taken ? 7 : first + i;
        results.add(groups.submit((tx, changes) -> tx
            .preparedQuery("INSERT INTO group_units VALUES ($1, txid_current()) RETURNING tx")
            .execute(Tuple.of(id))
            .map(rows -> rows.iterator().next().getLong(0))));
      }
      submitted.complete(results);
    });
    List<Future<Long>> results = submitted.future().await();
    Future.join(results).otherwiseEmpty().await();
    return results;
  }
}

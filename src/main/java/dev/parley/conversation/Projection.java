package dev.parley.conversation;

import dev.parley.channel.ChannelActivity;
import dev.parley.provider.ProviderRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projector shards of a node. An organization always maps to the same shard, so its log entries are applied in
 * log order by one {@link Projector}; shards run side by side. Each shard's position in the log
 * ({@code inbound_projection}) is written in the transaction that applies its entries. Thread-safe: entries are
 * submitted from the log's event loop and handed to each shard's own.
 */
public final class Projection {
  private static final Logger log = LoggerFactory.getLogger(Projection.class);

  private final int shards;
  private final AtomicReferenceArray<Projector> projectors;

  public Projection(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("at least one projector shard");
    }
    this.shards = shards;
    this.projectors = new AtomicReferenceArray<>(shards);
  }

  public int shards() {
    return shards;
  }

  int shardOf(UUID organizationId) {
    return Math.floorMod(organizationId.hashCode(), shards);
  }

  void register(int shard, Projector projector) {
    projectors.set(shard, projector);
  }

  /**
   * The projector verticles, one per shard: deploy {@link #shards()} instances of what this supplies. The
   * transaction each runs also records its position, so a commit holds a batch's changes and its position or neither.
   */
  public Supplier<Deployable> projectors(Pool pool, Committer committer, ProviderRegistry providers,
      Duration serviceWindow, ChannelActivity activity, LogReader reader, MeterRegistry metrics) {
    var next = new AtomicInteger();
    return () -> new Projector(next.getAndIncrement(), this, pool, new InboundApplier(pool, providers, serviceWindow),
        committer, activity, reader, metrics);
  }

  /** Hands committed entries (in log order) to their shards' projectors. */
  public void submit(List<LogEntry> entries) {
    List<List<LogEntry>> byShard = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      byShard.add(new ArrayList<>());
    }
    entries.forEach(entry -> byShard.get(shardOf(entry.organizationId())).add(entry));
    for (int i = 0; i < shards; i++) {
      if (!byShard.get(i).isEmpty()) {
        projectors.get(i).accept(byShard.get(i));
      }
    }
  }

  /**
   * Completes once every entry submitted before the call has been applied, committed and published: what a caller
   * that just had a webhook acknowledged waits for before reading what it changed (tests, the demo).
   */
  public Future<Void> settled() {
    List<Future<Void>> all = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) {
      Projector projector = projectors.get(i);
      all.add(projector == null ? Future.succeededFuture() : projector.settled());
    }
    return Future.all(all).mapEmpty();
  }

  /**
   * Makes sure every shard has a position row before the projectors start. When the number of shards changed since
   * the positions were written, every shard starts from the lowest old position: entries applied again are
   * recognised (provider ids, status history) and change nothing.
   */
  public static Future<Void> prepare(Pool pool, int shards) {
    return pool.withTransaction(tx -> tx.query("LOCK TABLE inbound_projection IN EXCLUSIVE MODE").execute()
        .compose(locked -> tx.query("SELECT min(position) AS low, min(shards) AS fewest, max(shards) AS most, "
            + "count(*) AS n FROM inbound_projection").execute())
        .compose(rows -> {
          var row = rows.iterator().next();
          long count = row.getLong("n");
          if (count > 0 && row.getInteger("fewest") == shards && row.getInteger("most") == shards && count == shards) {
            return Future.succeededFuture();
          }
          long low = count == 0 ? 0 : row.getLong("low");
          if (count > 0) {
            log.info("projector shards changed to {}: every shard resumes from log position {}", shards, low);
          }
          return tx.query("DELETE FROM inbound_projection").execute()
              .compose(deleted -> tx.preparedQuery("INSERT INTO inbound_projection (shard, shards, position) "
                  + "SELECT s, $1, $2 FROM generate_series(0, $1 - 1) AS s").execute(Tuple.of(shards, low)))
              .mapEmpty();
        }));
  }

  static Future<Long> position(SqlClient client, int shard) {
    return client.preparedQuery("SELECT position FROM inbound_projection WHERE shard = $1").execute(Tuple.of(shard))
        .map(rows -> rows.iterator().next().getLong("position"));
  }

  static Future<Void> savePosition(SqlClient tx, int shard, long position) {
    return tx.preparedQuery("UPDATE inbound_projection SET position = $2 WHERE shard = $1")
        .execute(Tuple.of(shard, position)).mapEmpty();
  }

  /** The lowest position of all shards: log rows at or below it are applied everywhere. */
  public static Future<Long> lowestPosition(SqlClient client) {
    return client.query("SELECT coalesce(min(position), 0) AS low FROM inbound_projection").execute()
        .map(rows -> rows.iterator().next().getLong("low"));
  }
}

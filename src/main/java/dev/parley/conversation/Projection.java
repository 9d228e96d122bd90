package dev.parley.conversation;

import dev.parley.channel.ChannelActivity;
import dev.parley.provider.ProviderRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The projector shards of a node. An organization always maps to the same shard, so its log entries are applied in
 * log order by one {@link Projector}; shards run side by side. Each shard's position in its node's rows
 * ({@code inbound_projection}, keyed by the node's {@link LogSlot}) is written in the transaction that applies them.
 * Every few seconds the node also adopts the slots of nodes that died and projects what they left. Thread-safe:
 * entries are submitted from the log's event loop and handed to each shard's own.
 */
public final class Projection {
  private static final Logger log = LoggerFactory.getLogger(Projection.class);
  private static final Duration ADOPT_EVERY = Duration.ofSeconds(5);
  private static final int ADOPT_PAGE = 500;

  private final LogSlot slot;
  private final int shards;
  private final AtomicReferenceArray<Projector> projectors;
  private final AtomicBoolean adopting = new AtomicBoolean();

  public Projection(LogSlot slot, int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("at least one projector shard");
    }
    this.slot = slot;
    this.shards = shards;
    this.projectors = new AtomicReferenceArray<>(shards);
  }

  public int shards() {
    return shards;
  }

  /** The node's log slot: the rows it writes carry it. */
  public int slot() {
    return slot.slot();
  }

  int shardOf(UUID organizationId) {
    return shardOf(organizationId, shards);
  }

  private static int shardOf(UUID organizationId, int shards) {
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
   * that just had a webhook acknowledged waits for before reading what it changed (tests).
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
   * Makes sure every shard of the node's slot has a position row before the projectors start. When the number of
   * shards changed since the slot's positions were written, every shard starts from the lowest old position: entries
   * applied again are recognised (provider ids, status history) and change nothing.
   */
  public Future<Void> prepare(Pool pool) {
    int mine = slot();
    return pool.withTransaction(tx -> tx.preparedQuery("SELECT min(position) AS low, min(shards) AS fewest, "
            + "max(shards) AS most, count(*) AS n FROM inbound_projection WHERE slot = $1").execute(Tuple.of(mine))
        .compose(rows -> {
          Row row = rows.iterator().next();
          long count = row.getLong("n");
          if (count == shards && row.getInteger("fewest") == shards && row.getInteger("most") == shards) {
            return Future.succeededFuture();
          }
          long low = count == 0 ? 0 : row.getLong("low");
          if (count > 0) {
            log.info("projector shards changed to {}: every shard resumes from log position {}", shards, low);
          }
          return tx.preparedQuery("DELETE FROM inbound_projection WHERE slot = $1").execute(Tuple.of(mine))
              .compose(deleted -> tx.preparedQuery("INSERT INTO inbound_projection (slot, shard, shards, position) "
                  + "SELECT $1, s, $2, $3 FROM generate_series(0, $2 - 1) AS s").execute(Tuple.of(mine, shards, low)))
              .mapEmpty();
        }));
  }

  Future<Long> position(SqlClient client, int shard) {
    return client.preparedQuery("SELECT position FROM inbound_projection WHERE slot = $1 AND shard = $2")
        .execute(Tuple.of(slot(), shard))
        .map(rows -> rows.iterator().next().getLong("position"));
  }

  Future<Void> savePosition(SqlClient tx, int shard, long position) {
    return tx.preparedQuery("UPDATE inbound_projection SET position = greatest(position, $3) WHERE slot = $1 AND shard = $2")
        .execute(Tuple.of(slot(), shard, position)).mapEmpty();
  }

  /** Adopts dead nodes' slots now and every few seconds (what their nodes acknowledged but did not project). */
  public void adoptOrphans(Vertx vertx, Pool pool, LogReader reader) {
    adoptPass(pool, reader);
    vertx.setPeriodic(ADOPT_EVERY.toMillis(), id -> adoptPass(pool, reader));
  }

  private void adoptPass(Pool pool, LogReader reader) {
    if (!adopting.compareAndSet(false, true)) {
      return;
    }
    pool.preparedQuery("SELECT DISTINCT slot FROM inbound_projection WHERE slot <> $1").execute(Tuple.of(slot()))
        .compose(rows -> {
          Future<Void> chain = Future.succeededFuture();
          for (Row row : rows) {
            int other = row.getInteger("slot");
            chain = chain.compose(v -> slot.tryHold(other).compose(held -> held
                ? adopt(pool, reader, other).eventually(() -> slot.release(other))
                : Future.succeededFuture()));
          }
          return chain;
        })
        .onFailure(failure -> log.debug("adopting dead nodes' log slots skipped: {}", failure.toString()))
        .onComplete(done -> adopting.set(false));
  }

  /** Projects the rows of {@code other} (a dead node's slot) beyond its positions, then moves its positions past them. */
  private Future<Void> adopt(Pool pool, LogReader reader, int other) {
    return pool.preparedQuery("SELECT shard, shards, position FROM inbound_projection WHERE slot = $1")
        .execute(Tuple.of(other))
        .compose(rows -> {
          Map<Integer, Long> positions = new HashMap<>();
          int otherShards = 1;
          long low = Long.MAX_VALUE;
          for (Row row : rows) {
            positions.put(row.getInteger("shard"), row.getLong("position"));
            otherShards = row.getInteger("shards");
            low = Math.min(low, row.getLong("position"));
          }
          return low == Long.MAX_VALUE ? Future.succeededFuture()
              : adoptPage(pool, reader, other, positions, otherShards, low, 0);
        });
  }

  private Future<Void> adoptPage(Pool pool, LogReader reader, int other, Map<Integer, Long> positions,
      int otherShards, long after, int adopted) {
    return reader.after(other, after, ADOPT_PAGE).compose(page -> {
      if (page.isEmpty()) {
        if (adopted > 0) {
          log.info("projected {} webhook(s) a stopped node (log slot {}) had acknowledged", adopted, other);
        }
        return Future.succeededFuture();
      }
      long last = page.get(page.size() - 1).id();
      List<LogEntry> left = page.stream()
          .filter(entry -> entry.id() > positions.getOrDefault(shardOf(entry.organizationId(), otherShards), 0L))
          .toList();
      submit(left);
      return settled()
          .compose(v -> pool.preparedQuery("UPDATE inbound_projection SET position = greatest(position, $2) "
              + "WHERE slot = $1").execute(Tuple.of(other, last)))
          .compose(v -> adoptPage(pool, reader, other, positions, otherShards, last, adopted + left.size()));
    });
  }
}

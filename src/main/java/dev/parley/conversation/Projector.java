package dev.parley.conversation;

import dev.parley.channel.ChannelActivity;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's projector: applies committed inbound-log entries to contacts, conversations, messages and statuses
 * ({@link InboundApplier}), in as large a batch as has accumulated (no tick: when one batch is done it takes
 * whatever arrived meanwhile), one transaction per batch that also records the log position reached. After the
 * commit the batch's changes go to Redis in one pipeline and out to the push hub ({@link Committer#afterCommit}).
 * At start it first projects what the log holds beyond its position (what a crash left), so every acknowledged
 * webhook is applied exactly once. All its state lives on its own event loop.
 */
final class Projector extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(Projector.class);
  /** The most events one projection transaction takes. */
  static final int MAX_BATCH_EVENTS = 1_000;
  private static final int REPLAY_PAGE = 500;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);
  /** Attempts at an entry whose failure is not the store's availability before it is set aside. */
  private static final int MAX_ATTEMPTS = 3;

  private final int shard;
  private final Projection projection;
  private final Pool pool;
  private final InboundApplier applier;
  private final Committer committer;
  private final ChannelActivity activity;
  private final LogReader reader;
  private final MeterRegistry metrics;

  private final ArrayDeque<LogEntry> queue = new ArrayDeque<>();
  /** When each queued entry was submitted (nanoTime), in queue order: the projection's queueing delay. */
  private final ArrayDeque<Long> since = new ArrayDeque<>();
  private Timer queued;
  private Timer commitTime;
  private Timer publishTime;
  private final List<Waiter> waiters = new ArrayList<>();
  private boolean running;
  /** Entries received and not yet applied and published (queued or in the transaction): the projection's lag. */
  private final AtomicInteger backlog = new AtomicInteger();
  /** Entries received so far, and entries applied and published (or set aside): a waiter waits for the second. */
  private long received;
  private long projected;

  private record Waiter(long position, Promise<Void> promise) {}

  Projector(int shard, Projection projection, Pool pool, InboundApplier applier, Committer committer,
      ChannelActivity activity, LogReader reader, MeterRegistry metrics) {
    this.shard = shard;
    this.projection = projection;
    this.pool = pool;
    this.applier = applier;
    this.committer = committer;
    this.activity = activity;
    this.reader = reader;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    metrics.gauge("parley.inbound.projection.backlog", Tags.of("shard", Integer.toString(shard)), backlog);
    queued = metrics.timer("parley.inbound.projection.queued");
    commitTime = metrics.timer("parley.inbound.projection.commit");
    publishTime = metrics.timer("parley.inbound.publish");
    return projection.position(pool, shard).compose(this::catchUp).onSuccess(v -> projection.register(shard, this));
  }

  /**
   * Finishes what was acknowledged before stopping (the HTTP edge and the log stopped first), for at most a few
   * seconds: anything left is projected at the next start, or by another node that adopts the slot.
   */
  @Override
  public Future<?> stop() {
    Promise<Void> stopped = Promise.promise();
    long timer = vertx.setTimer(STOP_GRACE.toMillis(), id -> {
      if (stopped.tryComplete()) {
        log.warn("projector {} stopped with {} webhook(s) not yet projected; they are projected at the next start",
            shard, backlog.get());
      }
    });
    settled().onComplete(done -> {
      vertx.cancelTimer(timer);
      stopped.tryComplete();
    });
    return stopped.future();
  }

  /** Projects the log's entries of this shard after {@code after}, page by page, before live entries arrive. */
  private Future<Void> catchUp(long after) {
    return reader.after(projection.slot(), after, REPLAY_PAGE).compose(page -> {
      if (page.isEmpty()) {
        return Future.succeededFuture();
      }
      List<LogEntry> mine = page.stream().filter(entry -> projection.shardOf(entry.organizationId()) == shard).toList();
      long last = page.get(page.size() - 1).id();
      if (mine.isEmpty()) {
        return catchUp(last);
      }
      log.info("projector {} applying {} logged webhook(s) after position {}", shard, mine.size(), after);
      accept(mine);
      return settled().compose(v -> catchUp(last));
    });
  }

  /** Entries of this shard in log order, from any thread. */
  void accept(List<LogEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    long at = System.nanoTime();
    context.runOnContext(v -> {
      queue.addAll(entries);
      entries.forEach(entry -> since.add(at));
      backlog.addAndGet(entries.size());
      received += entries.size();
      next();
    });
  }

  /** Completes when every entry this shard had received at the call is applied and published. */
  Future<Void> settled() {
    Promise<Void> promise = Promise.promise();
    context.runOnContext(v -> {
      if (projected >= received && !running) {
        promise.complete();
      } else {
        waiters.add(new Waiter(received, promise));
      }
    });
    return promise.future();
  }

  private void next() {
    if (running) {
      return;
    }
    if (queue.isEmpty()) {
      return;
    }
    running = true;
    List<LogEntry> batch = new ArrayList<>();
    int events = 0;
    while (!queue.isEmpty() && (batch.isEmpty() || events + queue.peek().batch().events().size() <= MAX_BATCH_EVENTS)) {
      LogEntry entry = queue.poll();
      queued.record(System.nanoTime() - since.poll(), TimeUnit.NANOSECONDS);
      events += entry.batch().events().size();
      batch.add(entry);
    }
    metrics.summary("parley.inbound.projection.webhooks").record(batch.size());
    project(batch).onComplete(done -> {
      backlog.addAndGet(-batch.size());
      projected += batch.size();
      running = false;
      wake();
      next();
    });
  }

  /** Applies {@code batch} in one transaction; never fails (a failing entry is retried, or set aside). */
  private Future<Void> project(List<LogEntry> batch) {
    return applyOnce(batch).recover(failure -> {
      if (batch.size() == 1) {
        return retry(batch.get(0), failure, 1);
      }
      // one entry's failure must not hold up the others: each one alone, in order
      log.warn("projection of {} webhooks failed ({}); applying each alone", batch.size(), failure.toString());
      Future<Void> chain = Future.succeededFuture();
      for (LogEntry entry : batch) {
        chain = chain.compose(v -> project(List.of(entry)));
      }
      return chain;
    });
  }

  /** One transaction for the whole batch and its position; then Redis and the push hub, then the counts. */
  private Future<Void> applyOnce(List<LogEntry> batch) {
    long position = ownPosition(batch);
    List<InboundBatch> batches = batch.stream().map(LogEntry::batch).toList();
    long start = System.nanoTime();
    return applier.apply(batches, tx -> position < 0 ? Future.succeededFuture() : projection.savePosition(tx, shard, position))
        .compose(changes -> {
          long committed = System.nanoTime();
          commitTime.record(committed - start, TimeUnit.NANOSECONDS);
          return committer.afterCommit(Changes.combined(changes))
              .onComplete(done -> publishTime.record(System.nanoTime() - committed, TimeUnit.NANOSECONDS))
              .map(changes);
        })
        .map(changes -> {
          Instant now = Instant.now();
          for (int i = 0; i < batches.size(); i++) {
            ApplyResult result = changes.get(i).result();
            batches.get(i).events().forEach(routed -> activity.inbound(routed.channel().id(), now));
            count("applied", result.applied());
            count("duplicate", result.duplicates());
            count("pending", result.pending());
            count("skipped", result.skipped());
          }
          return null;
        });
  }

  /**
   * An entry that failed alone: while the store is unavailable it is retried (with a growing pause) for as long as
   * it takes; any other failure is retried a few times, then the entry is recorded in {@code inbound_failures} and
   * passed, so the shard goes on.
   */
  private Future<Void> retry(LogEntry entry, Throwable failure, int attempt) {
    if (!unavailable(failure) && attempt >= MAX_ATTEMPTS) {
      log.error("log entry {} (organization {}) cannot be projected and is set aside: {}", entry.id(),
          entry.organizationId(), failure.toString());
      metrics.counter("parley.inbound.projection.failures").increment();
      long position = ownPosition(List.of(entry));
      return pool.withTransaction(tx -> tx.preparedQuery(
                  "INSERT INTO inbound_failures (log_id, error) VALUES ($1, $2) ON CONFLICT (log_id) DO NOTHING")
              .execute(Tuple.of(entry.id(), String.valueOf(failure)))
              .compose(v -> position < 0 ? Future.succeededFuture() : projection.savePosition(tx, shard, position)))
          .recover(again -> retry(entry, again, attempt + 1));
    }
    long pause = Math.min(MAX_BACKOFF.toMillis(), 50L << Math.min(attempt, 7));
    if (attempt == 1 || attempt % 10 == 0) {
      log.warn("projection of log entry {} failed ({}), retrying in {} ms", entry.id(), failure.toString(), pause);
    }
    Promise<Void> later = Promise.promise();
    vertx.setTimer(pause, id -> applyOnce(List.of(entry))
        .recover(again -> retry(entry, again, attempt + 1))
        .onComplete(later));
    return later.future();
  }

  /**
   * The position this batch takes the shard to: its last entry of this node's slot (entries of a dead node's slot,
   * being adopted, move that slot's positions instead); -1 when it has none.
   */
  private long ownPosition(List<LogEntry> batch) {
    int own = projection.slot();
    for (int i = batch.size() - 1; i >= 0; i--) {
      if (batch.get(i).slot() == own) {
        return batch.get(i).id();
      }
    }
    return -1;
  }

  /** True when the failure is the store's (connection lost, server shutting down, out of resources): worth waiting for. */
  static boolean unavailable(Throwable failure) {
    if (failure instanceof PgException pg) {
      String state = pg.getSqlState();
      return state == null || state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
          || state.startsWith("58") || state.startsWith("40");
    }
    return true; // connection closed, timeouts, pool exhausted
  }

  private void wake() {
    if (waiters.isEmpty()) {
      return;
    }
    waiters.removeIf(waiter -> {
      if (projected >= waiter.position()) {
        waiter.promise().complete();
        return true;
      }
      return false;
    });
  }

  private void count(String outcome, int amount) {
    if (amount > 0) {
      metrics.counter("parley.inbound.events", "outcome", outcome).increment(amount);
    }
  }
}

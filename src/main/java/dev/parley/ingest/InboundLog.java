package dev.parley.ingest;

import dev.parley.channel.Channel;
import dev.parley.channel.ChannelDirectory;
import dev.parley.conversation.InboundBatch;
import dev.parley.conversation.LogEntry;
import dev.parley.conversation.LogReader;
import dev.parley.conversation.Projection;
import dev.parley.provider.MalformedPayload;
import dev.parley.provider.Provider;
import dev.parley.provider.ProviderRegistry;
import dev.parley.store.ChannelStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound log's group committer, one per node. Webhooks are appended from every HTTP event loop; one flush is in
 * flight at a time, and everything that arrives meanwhile joins the next multi-row insert, so a lone webhook is
 * written at once and under load hundreds share one commit (and one fsync). A webhook's future completes, on its
 * own event loop, only after the commit that holds it; then its entry goes to its projector shard
 * ({@link Projection}). Also reads the log back for projectors that catch up at start, and deletes rows that
 * every shard has passed once they are older than the retention.
 */
public final class InboundLog extends VerticleBase implements LogReader {
  private static final Logger log = LoggerFactory.getLogger(InboundLog.class);
  /** The most webhooks one insert takes. */
  static final int MAX_FLUSH_ROWS = 1_000;
  private static final int RETENTION_BATCH = 10_000;

  /** The append: one multi-row insert, ids in the rows' order (the benchmark's log-append ceiling runs it too). */
  public static final String INSERT = """
      INSERT INTO inbound_log (id, slot, received_at, organization_id, channel_id, provider, body)
      SELECT nextval('inbound_log_id_seq'), $6, r, o, c, p, b
        FROM unnest($1::timestamptz[], $2::uuid[], $3::uuid[], $4::text[], $5::bytea[]) WITH ORDINALITY AS t(r, o, c, p, b, n)
       ORDER BY n
      RETURNING id""";

  private final Pool pool;
  private final Projection projection;
  private final ProviderRegistry providers;
  private final ChannelStore channels;
  private final Duration appendTimeout;
  private final Duration retention;
  private final MeterRegistry metrics;
  private final Timer queuedTime;
  private final Timer flushTime;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final List<Pending> inFlight = new ArrayList<>();
  private boolean flushing;
  private Context home;

  private record Pending(Channel channel, Instant receivedAt, Buffer body, InboundBatch batch, Context caller,
      Promise<Long> promise, long since) {

    void answer(Long position, Throwable failure) {
      caller.runOnContext(v -> {
        if (failure == null) {
          promise.tryComplete(position);
        } else {
          promise.tryFail(failure);
        }
      });
    }
  }

  /**
   * @param appendTimeout a webhook whose commit takes longer is answered 503 (if the row commits after all, the
   *     provider's retry is recognised as a duplicate)
   */
  public InboundLog(Pool pool, Projection projection, ProviderRegistry providers, ChannelStore channels,
      Duration appendTimeout, Duration retention, MeterRegistry metrics) {
    this.pool = pool;
    this.projection = projection;
    this.providers = providers;
    this.channels = channels;
    this.appendTimeout = appendTimeout;
    this.retention = retention;
    this.metrics = metrics;
    this.queuedTime = metrics.timer("parley.inbound.queued");
    this.flushTime = metrics.timer("parley.inbound.flush");
  }

  @Override
  public Future<?> start() {
    home = context;
    vertx.setPeriodic(Math.max(50, appendTimeout.toMillis() / 4), id -> expire());
    vertx.setPeriodic(Duration.ofMinutes(1).toMillis(), id -> purge());
    return Future.succeededFuture();
  }

  /** Lets the flush in flight (and any queued behind it) finish, for at most the append timeout. */
  @Override
  public Future<?> stop() {
    Promise<Void> stopped = Promise.promise();
    long deadline = System.nanoTime() + appendTimeout.toNanos();
    vertx.setPeriodic(0, 10, id -> {
      if ((!flushing && queue.isEmpty()) || System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        stopped.tryComplete();
      }
    });
    return stopped.future();
  }

  /**
   * Appends a verified webhook; from any event loop. The future completes on the caller's event loop with the log
   * position once the row has committed, or fails (store down or too slow) and nothing is acknowledged.
   */
  public Future<Long> append(Channel channel, Instant receivedAt, Buffer body, InboundBatch batch) {
    Promise<Long> promise = Promise.promise();
    var pending = new Pending(channel, receivedAt, body, batch, vertx.getOrCreateContext(), promise, System.nanoTime());
    home.runOnContext(v -> {
      queue.add(pending);
      flush();
    });
    return promise.future();
  }

  private void flush() {
    if (flushing || queue.isEmpty()) {
      return;
    }
    flushing = true;
    int n = Math.min(queue.size(), MAX_FLUSH_ROWS);
    OffsetDateTime[] receivedAt = new OffsetDateTime[n];
    UUID[] organizations = new UUID[n];
    UUID[] channelIds = new UUID[n];
    String[] providerNames = new String[n];
    Buffer[] bodies = new Buffer[n];
    long flushStart = System.nanoTime();
    for (int i = 0; i < n; i++) {
      Pending pending = queue.poll();
      queuedTime.record(flushStart - pending.since(), TimeUnit.NANOSECONDS);
      inFlight.add(pending);
      receivedAt[i] = pending.receivedAt().atOffset(ZoneOffset.UTC);
      organizations[i] = pending.channel().organizationId();
      channelIds[i] = pending.channel().id();
      providerNames[i] = pending.batch().provider();
      bodies[i] = pending.body();
    }
    metrics.summary("parley.inbound.log.webhooks").record(n);
    pool.preparedQuery(INSERT)
        .execute(Tuple.of(receivedAt, organizations, channelIds, providerNames, bodies, projection.slot()))
        .onComplete(done -> {
          flushTime.record(System.nanoTime() - flushStart, TimeUnit.NANOSECONDS);
          List<Pending> written = List.copyOf(inFlight);
          inFlight.clear();
          if (done.succeeded()) {
            List<Long> ids = new ArrayList<>(n);
            done.result().forEach(row -> ids.add(row.getLong(0)));
            ids.sort(null);
            List<LogEntry> entries = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              Pending pending = written.get(i);
              entries.add(new LogEntry(ids.get(i), projection.slot(), pending.channel().organizationId(),
                  pending.batch()));
            }
            projection.submit(entries);
            for (int i = 0; i < n; i++) {
              written.get(i).answer(ids.get(i), null);
            }
          } else {
            log.warn("{} webhook(s) not logged: {}", n, done.cause().toString());
            written.forEach(pending -> pending.answer(null, done.cause()));
          }
          flushing = false;
          flush();
        });
  }

  /** Answers 503 to webhooks waiting longer than the timeout, queued or in flight. */
  private void expire() {
    long limit = System.nanoTime() - appendTimeout.toNanos();
    var timeout = new IllegalStateException("the inbound log did not commit within " + appendTimeout);
    while (!queue.isEmpty() && queue.peek().since() < limit) {
      queue.poll().answer(null, timeout);
    }
    inFlight.stream().filter(pending -> pending.since() < limit).forEach(pending -> pending.answer(null, timeout));
  }

  /** Deletes rows every shard has projected that are older than the retention, a bounded number at a time. */
  private void purge() {
    OffsetDateTime before = Instant.now().minus(retention).atOffset(ZoneOffset.UTC);
    pool.preparedQuery("""
            DELETE FROM inbound_log WHERE id IN (
              SELECT id FROM inbound_log
               WHERE id <= (SELECT coalesce(min(position), 0) FROM inbound_projection) AND received_at < $1
               ORDER BY id LIMIT $2)""")
        .execute(Tuple.of(before, RETENTION_BATCH))
        .onSuccess(rows -> {
          if (rows.rowCount() > 0) {
            log.debug("deleted {} inbound log row(s) older than {}", rows.rowCount(), retention);
          }
        })
        .onFailure(failure -> log.debug("inbound log retention skipped: {}", failure.toString()));
  }

  /**
   * Log rows after {@code after}, parsed and routed again as when they were received. A row that no longer parses or
   * whose channel is gone is kept out (and logged): it cannot be applied.
   */
  @Override
  public Future<List<LogEntry>> after(int slot, long after, int limit) {
    var directory = new ChannelDirectory(channels, Duration.ofMinutes(1));
    var router = new EventRouter(directory);
    return pool.preparedQuery("""
            SELECT id, slot, received_at, organization_id, channel_id, provider, body FROM inbound_log
             WHERE id > $1 AND slot = $3 ORDER BY id LIMIT $2""")
        .execute(Tuple.of(after, limit, slot))
        .compose(rows -> {
          List<LogEntry> entries = new ArrayList<>(rows.size());
          Future<Void> chain = Future.succeededFuture();
          for (Row row : rows) {
            chain = chain.compose(v -> entry(row, directory, router).map(entry -> {
              entries.add(entry);
              return null;
            }));
          }
          return chain.map(entries);
        });
  }

  private Future<LogEntry> entry(Row row, ChannelDirectory directory, EventRouter router) {
    long id = row.getLong("id");
    int slot = row.getInteger("slot");
    UUID organization = row.getUUID("organization_id");
    String providerName = row.getString("provider");
    LogEntry nothing = new LogEntry(id, slot, organization, new InboundBatch(providerName, List.of()));
    Provider provider = providers.find(providerName).orElse(null);
    if (provider == null) {
      log.error("log entry {} names provider {}, which this node does not have; skipped", id, providerName);
      return Future.succeededFuture(nothing);
    }
    return directory.byId(row.getUUID("channel_id")).compose(channel -> {
      if (channel.isEmpty()) {
        log.error("log entry {}: channel {} is gone; skipped", id, row.getUUID("channel_id"));
        return Future.succeededFuture(nothing);
      }
      try {
        var events = provider.parse(row.getBuffer("body"), row.getOffsetDateTime("received_at").toInstant());
        return router.route(providerName, channel.get(), events)
            .map(routed -> new LogEntry(id, slot, organization, new InboundBatch(providerName, routed)));
      } catch (MalformedPayload e) {
        log.error("log entry {} no longer parses ({}); skipped", id, e.getMessage());
        return Future.succeededFuture(nothing);
      }
    });
  }
}

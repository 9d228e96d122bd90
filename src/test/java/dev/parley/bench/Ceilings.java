package dev.parley.bench;

import dev.parley.bench.Fixtures.Org;
import dev.parley.ingest.InboundLog;
import dev.parley.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What this machine can do without Parley, measured in the same run so every Parley figure is also a ratio: rows/s
 * of PostgreSQL batched inserts into {@code messages} (Parley's own statement), commits/s of one-row transactions
 * (the durable-commit bound), Redis commands/s when pipelined, and a bare Vert.x HTTP server's POST rate.
 */
final class Ceilings {
  private static final String INSERT = """
      INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, content,
        provider_message_id, reply_to_provider_id, sender_type, sender_id, status, sent_at, edited_at, raw)
      VALUES ($1, $2, $3, $4, 'inbound', 'text', $5, $6, $7, NULL, 'contact', NULL, 'received', $8, NULL, $9)
      ON CONFLICT (channel_id, provider_message_id) WHERE provider_message_id IS NOT NULL DO NOTHING""";

  /** Rows per log-append commit in the ceiling: what the group committer takes under load. */
  private static final int LOG_BATCH = 250;
  /** A log slot no node holds; its rows are deleted after the measurement. */
  private static final int CEILING_SLOT = 999;

  private final Vertx vertx;
  private final Bench.Mode mode;

  Ceilings(Vertx vertx, Bench.Mode mode) {
    this.vertx = vertx;
    this.mode = mode;
  }

  /** PostgreSQL: batches of 500 rows over 4 connections, then one-row commits over 32. */
  JsonObject postgres(String pgUrl, Org org) throws Exception {
    UUID conversation = UUID.randomUUID();
    UUID contact = UUID.randomUUID();
    UUID channel = org.channels().get(0).id();
    try (var db = Database.connect(pgUrl); var statement = db.createStatement()) {
      statement.execute("INSERT INTO contacts (id, organization_id, name, mobile_number) VALUES ('" + contact + "', '"
          + org.id() + "', 'Ceiling', '+4915199999999')");
      statement.execute("INSERT INTO conversations (id, organization_id, channel_id, contact_id, status, last_message_at) "
          + "VALUES ('" + conversation + "', '" + org.id() + "', '" + channel + "', '" + contact + "', 'open', now())");
    }
    Pool pool = Database.pool(vertx, pgUrl, 32);
    try {
      var raw = new JsonObject().put("text", new JsonObject().put("body", "ceiling")).put("type", "text");
      var content = new JsonObject().put("text", "ceiling");
      var ids = new AtomicLong();
      Supplier<Tuple> row = () -> Tuple.of(UUID.randomUUID(), org.id(), conversation, channel,
          "Hello, I have a question about order " + ids.get(), content, "wamid.ceiling." + ids.incrementAndGet(),
          OffsetDateTime.now(ZoneOffset.UTC), raw);
      long batchRows = closedLoop(4, mode.ceilingSeconds(), () -> {
        List<Tuple> batch = new ArrayList<>(500);
        for (int i = 0; i < 500; i++) {
          batch.add(row.get());
        }
        return pool.preparedQuery(INSERT).executeBatch(batch).map(500);
      });
      long commits = closedLoop(32, mode.ceilingSeconds(),
          () -> pool.preparedQuery(INSERT).execute(row.get()).map(1));
      // the inbound log's append, as its group committer runs it: one multi-row insert per commit
      Buffer body = new Webhooks(0, 0, 1_000).text(org.channels().get(0), 1, "ceiling").body();
      long logRows = closedLoop(2, mode.ceilingSeconds(), () -> {
        int n = LOG_BATCH;
        OffsetDateTime[] at = new OffsetDateTime[n];
        UUID[] organizations = new UUID[n];
        UUID[] channels = new UUID[n];
        String[] providers = new String[n];
        Buffer[] bodies = new Buffer[n];
        for (int i = 0; i < n; i++) {
          at[i] = OffsetDateTime.now(ZoneOffset.UTC);
          organizations[i] = org.id();
          channels[i] = channel;
          providers[i] = "whatsapp";
          bodies[i] = body;
        }
        return pool.preparedQuery(InboundLog.INSERT)
            .execute(Tuple.of(at, organizations, channels, providers, bodies, CEILING_SLOT))
            .map(n);
      });
      try (var db = Database.connect(pgUrl); var statement = db.createStatement()) {
        statement.execute("DELETE FROM inbound_log WHERE slot = " + CEILING_SLOT);
      }
      return new JsonObject()
          .put("batched_insert_rows_per_s", Math.round(batchRows / (double) mode.ceilingSeconds()))
          .put("single_row_commits_per_s", Math.round(commits / (double) mode.ceilingSeconds()))
          .put("log_append_rows_per_s", Math.round(logRows / (double) mode.ceilingSeconds()))
          .put("how", "INSERT INTO messages (Parley's statement): batches of 500 rows on 4 connections; then one-row "
              + "transactions on 32 connections; then the inbound log's append (Parley's statement, "
              + body.length() + "-byte webhook bodies), " + LOG_BATCH + " rows per commit on 2 connections");
    } finally {
      pool.close().await();
    }
  }

  /** Redis: batches of 1,000 HINCRBY commands, 8 batches in flight. */
  JsonObject redis(String redisUrl) throws Exception {
    Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl).setMaxPoolSize(8)
        .setMaxPoolWaiting(1_000).setMaxWaitingHandlers(100_000));
    try {
      var counter = new AtomicLong();
      long ops = closedLoop(8, mode.ceilingSeconds(), () -> {
        List<Request> batch = new ArrayList<>(1_000);
        for (int i = 0; i < 1_000; i++) {
          batch.add(Request.cmd(Command.HINCRBY).arg("bench:ceiling:" + (counter.incrementAndGet() % 10_000))
              .arg("unread").arg(1));
        }
        return redis.batch(batch).map(1_000);
      });
      redis.send(Request.cmd(Command.FLUSHDB)).await();
      return new JsonObject()
          .put("pipelined_ops_per_s", Math.round(ops / (double) mode.ceilingSeconds()))
          .put("how", "HINCRBY in pipelined batches of 1,000, 8 batches in flight");
    } finally {
      redis.close();
    }
  }

  /** The bare HTTP server's POST rate with Parley's webhook bodies, 64 connections, 256 requests in flight. */
  JsonObject http(ParleyProcess bare, Webhooks.Signed body) throws Exception {
    var client = new Client(vertx, bare.port(), 64);
    try {
      double cpuBefore = bare.cpuSeconds();
      long posts = closedLoop(256, mode.ceilingSeconds(), () -> client.webhook(body).map(1));
      return new JsonObject()
          .put("posts_per_s", Math.round(posts / (double) mode.ceilingSeconds()))
          .put("server_cpu_s", Stats.round(bare.cpuSeconds() - cpuBefore, 2))
          .put("how", "a Vert.x HTTP server answering 200 to each POST after reading its body (a batch-of-1 webhook, "
              + body.body().length() + " bytes); 64 keep-alive connections, 256 requests in flight");
    } finally {
      client.close();
    }
  }

  /** Runs {@code concurrency} chains of operations back to back for {@code seconds}; answers the units done. */
  long closedLoop(int concurrency, int seconds, Supplier<Future<Integer>> operation) throws Exception {
    var done = new AtomicLong();
    long end = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
    List<Future<Void>> chains = new ArrayList<>();
    for (int i = 0; i < concurrency; i++) {
      Promise<Void> finished = Promise.promise();
      vertx.runOnContext(v -> chain(operation, done, end, finished));
      chains.add(finished.future());
    }
    Future.all(chains).await();
    return done.get();
  }

  private static void chain(Supplier<Future<Integer>> operation, AtomicLong done, long end, Promise<Void> finished) {
    if (System.nanoTime() >= end) {
      finished.tryComplete();
      return;
    }
    operation.get().onComplete(result -> {
      if (result.succeeded()) {
        done.addAndGet(result.result());
      } else {
        finished.tryFail(result.cause());
        return;
      }
      chain(operation, done, end, finished);
    });
  }
}

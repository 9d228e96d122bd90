package dev.parley.store;

import static dev.parley.store.ChannelStore.utc;
import static dev.parley.store.ConversationStore.instant;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The outbound queue ({@code outbound_queue}) and the idempotency keys of sends ({@code idempotency_keys}).
 * A row is leased by one dispatcher at a time; only the oldest queued message of each recipient is eligible,
 * so one customer receives messages in the order they were sent. Each claim records the attempt before the
 * provider is called ({@code attempt_started_at}); the previous value comes back so that an attempt whose outcome
 * is unknown (a crash, a timeout) is reconciled before anything is sent again.
 */
public final class OutboundQueue {
  private static final String ENQUEUE = """
      INSERT INTO outbound_queue (message_id, organization_id, channel_id, recipient, request, due_at, deadline)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      """;
  private static final String CLAIM = """
      WITH c AS (
        SELECT q.message_id, q.attempt_started_at AS previous_attempt FROM outbound_queue q
        WHERE q.due_at <= now() AND (q.leased_until IS NULL OR q.leased_until < now())
          AND NOT EXISTS (SELECT 1 FROM outbound_queue p
                          WHERE p.channel_id = q.channel_id AND p.recipient = q.recipient AND p.seq < q.seq)
          AND %s
        ORDER BY q.due_at, q.seq
        LIMIT $2
        FOR UPDATE OF q SKIP LOCKED)
      UPDATE outbound_queue q
         SET leased_until = now() + $1::bigint * interval '1 millisecond', attempts = q.attempts + 1, attempt_started_at = now()
        FROM c
       WHERE q.message_id = c.message_id
      RETURNING q.message_id, q.organization_id, q.channel_id, q.recipient, q.request, q.attempts, q.deadline,
                q.created_at, c.previous_attempt
      """;
  private static final String CLAIM_DUE = CLAIM.formatted("true");
  private static final String CLAIM_IDS = CLAIM.formatted("q.message_id = ANY($3)");
  private static final String CLAIM_RECIPIENTS = CLAIM.formatted(
      "(q.channel_id, q.recipient) IN (SELECT * FROM unnest($3::uuid[], $4::text[]))");
  // the call was not made (pacing, reconciliation): back to the queue without counting an attempt
  private static final String RELEASE = """
      UPDATE outbound_queue SET leased_until = NULL, due_at = $2, attempts = attempts - 1, attempt_started_at = $3
      WHERE message_id = $1
      """;
  // the call was made and refused, or its outcome is unknown (then attempt_started_at stays for reconciliation)
  private static final String RETRY_LATER = """
      UPDATE outbound_queue SET leased_until = NULL, due_at = $2, last_error_code = $3, last_error = $4,
             attempt_started_at = CASE WHEN $5 THEN attempt_started_at ELSE NULL END
      WHERE message_id = $1
      """;
  private static final String REMOVE = "DELETE FROM outbound_queue WHERE message_id = $1 RETURNING message_id";
  private static final String DEPTH = "SELECT count(*) FROM outbound_queue";
  private static final String REMEMBER_KEY = """
      INSERT INTO idempotency_keys (organization_id, key, request_hash, message_id) VALUES ($1, $2, $3, $4)
      ON CONFLICT DO NOTHING RETURNING message_id
      """;
  private static final String FIND_KEY =
      "SELECT request_hash, message_id FROM idempotency_keys WHERE organization_id = $1 AND key = $2";
  private static final String PURGE_KEYS = "DELETE FROM idempotency_keys WHERE created_at < $1";

  /** A leased queue row. {@code previousAttempt} is set when an earlier call's outcome is unknown. */
  public record Job(UUID messageId, UUID organizationId, UUID channelId, String recipient, JsonObject request,
      int attempts, Instant deadline, Instant queuedAt, Instant previousAttempt) {}

  /** A key already used: the request it came with (hash) and the message it made. */
  public record KeyUse(String requestHash, UUID messageId) {}

  public Future<Void> enqueue(SqlClient tx, UUID messageId, UUID organizationId, UUID channelId, String recipient,
      JsonObject request, Instant dueAt, Instant deadline) {
    return tx.preparedQuery(ENQUEUE)
        .execute(Tuple.from(new Object[] {messageId, organizationId, channelId, recipient, request, utc(dueAt),
            utc(deadline)}))
        .mapEmpty();
  }

  /** Leases up to {@code limit} due rows (at most one per recipient, the oldest). */
  public Future<List<Job>> claimDue(SqlClient client, Duration lease, int limit) {
    return client.preparedQuery(CLAIM_DUE).execute(Tuple.of(interval(lease), limit)).map(OutboundQueue::jobs);
  }

  /** Leases these rows if they are due and first in line for their recipient. */
  public Future<List<Job>> claim(SqlClient client, Duration lease, List<UUID> messageIds) {
    return client.preparedQuery(CLAIM_IDS)
        .execute(Tuple.of(interval(lease), messageIds.size(), messageIds.toArray(new UUID[0])))
        .map(OutboundQueue::jobs);
  }

  /** Leases the next due row of each recipient (after its previous one left the queue): channel and recipient pairs. */
  public Future<List<Job>> claimNext(SqlClient client, Duration lease, List<UUID> channelIds, List<String> recipients) {
    return client.preparedQuery(CLAIM_RECIPIENTS)
        .execute(Tuple.of(interval(lease), recipients.size(), channelIds.toArray(new UUID[0]),
            recipients.toArray(new String[0])))
        .map(OutboundQueue::jobs);
  }

  /** Puts a leased row back without counting an attempt; {@code attemptStartedAt} is what to keep there. */
  public Future<Void> release(SqlClient client, UUID messageId, Instant dueAt, Instant attemptStartedAt) {
    return client.preparedQuery(RELEASE).execute(Tuple.of(messageId, utc(dueAt), utc(attemptStartedAt))).mapEmpty();
  }

  /** Schedules another attempt; {@code outcomeUnknown} keeps the attempt marked for reconciliation. */
  public Future<Void> retryLater(SqlClient client, UUID messageId, Instant dueAt, int errorCode, String error,
      boolean outcomeUnknown) {
    return client.preparedQuery(RETRY_LATER)
        .execute(Tuple.of(messageId, utc(dueAt), errorCode, error, outcomeUnknown))
        .mapEmpty();
  }

  /** Takes the row out of the queue; false when it was already gone. */
  public Future<Boolean> remove(SqlClient client, UUID messageId) {
    return client.preparedQuery(REMOVE).execute(Tuple.of(messageId)).map(rows -> rows.rowCount() > 0);
  }

  public Future<Long> depth(SqlClient client) {
    return client.query(DEPTH).execute().map(rows -> rows.iterator().next().getLong(0));
  }

  /** Records that {@code key} made {@code messageId}; false when the key is already taken (look it up then). */
  public Future<Boolean> rememberKey(SqlClient tx, UUID organizationId, String key, String requestHash, UUID messageId) {
    return tx.preparedQuery(REMEMBER_KEY).execute(Tuple.of(organizationId, key, requestHash, messageId))
        .map(rows -> rows.rowCount() > 0);
  }

  public Future<Optional<KeyUse>> findKey(SqlClient client, UUID organizationId, String key) {
    return client.preparedQuery(FIND_KEY).execute(Tuple.of(organizationId, key)).map(rows -> {
      if (rows.rowCount() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new KeyUse(row.getString("request_hash"), row.getUUID("message_id")));
    });
  }

  /** Forgets keys older than {@code before}: a retry that late is a new request. */
  public Future<Integer> purgeKeys(SqlClient client, Instant before) {
    return client.preparedQuery(PURGE_KEYS).execute(Tuple.of(utc(before))).map(RowSet::rowCount);
  }

  private static long interval(Duration duration) {
    return duration.toMillis();
  }

  private static List<Job> jobs(RowSet<Row> rows) {
    var jobs = new ArrayList<Job>(rows.rowCount());
    for (Row row : rows) {
      jobs.add(new Job(row.getUUID("message_id"), row.getUUID("organization_id"), row.getUUID("channel_id"),
          row.getString("recipient"), row.getJsonObject("request"), row.getInteger("attempts"),
          instant(row.getOffsetDateTime("deadline")), instant(row.getOffsetDateTime("created_at")),
          instant(row.getOffsetDateTime("previous_attempt"))));
    }
    return jobs;
  }
}

package dev.parley.store;

import static dev.parley.store.ChannelStore.utc;

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
 * Scheduled messages: what the REST API creates, lists and cancels, and what the scheduler claims and completes.
 * A claim moves due rows to {@code sending} under a lease in one statement ({@code FOR UPDATE SKIP LOCKED}), so
 * each occurrence is claimed by one node at a time; only the holder of the current claim records its outcome.
 */
public final class ScheduledMessageStore {
  static final String COLUMNS = """
      id, organization_id, conversation_id, created_by, sender_type, message, fallback_template, send_at, recurrence,
      time_zone, first_send_at, ends_at, max_occurrences, occurrence, occurrences_sent, occurrences_failed, status,
      claim_id, lease_until, last_error_code, last_error, fallback_occurrence, last_message_id, last_sent_at,
      last_used_fallback, cancelled_at, created_at, updated_at""";
  private static final String INSERT = """
      INSERT INTO scheduled_messages (id, organization_id, conversation_id, created_by, sender_type, message,
        fallback_template, send_at, recurrence, time_zone, first_send_at, ends_at, max_occurrences)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $11, $12)
      RETURNING\s""" + COLUMNS;
  private static final String FIND = "SELECT " + COLUMNS + " FROM scheduled_messages WHERE id = $1 AND organization_id = $2";
  // next occurrence first, paged by (send_at, id)
  private static final String LIST = "SELECT " + COLUMNS + """
       FROM scheduled_messages
      WHERE organization_id = $1
        AND ($2::uuid IS NULL OR conversation_id = $2)
        AND ($3::text IS NULL OR status = $3)
        AND ($4::timestamptz IS NULL OR (send_at, id) > ($4, $5))
      ORDER BY send_at, id
      LIMIT $6
      """;
  // an occurrence in flight ('sending') may be cancelled too: it still goes out, but nothing after it
  private static final String CANCEL = """
      UPDATE scheduled_messages SET status = 'cancelled', cancelled_at = now(), updated_at = now()
      WHERE id = $1 AND organization_id = $2 AND status IN ('scheduled', 'sending')
      RETURNING\s""" + COLUMNS;
  // due rows and rows whose claim outlived its lease (the node died mid-send), each claimed by one poller only
  private static final String CLAIM = """
      WITH due AS (
        SELECT id FROM scheduled_messages WHERE status = 'scheduled' AND send_at <= now()
        ORDER BY send_at LIMIT $1 FOR UPDATE SKIP LOCKED
      ), abandoned AS (
        SELECT id FROM scheduled_messages WHERE status = 'sending' AND lease_until <= now()
        ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED
      )
      UPDATE scheduled_messages SET status = 'sending', claim_id = gen_random_uuid(),
             lease_until = now() + $2::bigint * interval '1 millisecond', updated_at = now()
      WHERE id IN (SELECT id FROM due UNION SELECT id FROM abandoned)
      RETURNING\s""" + COLUMNS;
  // the decision to send the fallback template, made durable before the template is sent
  private static final String CHOOSE_FALLBACK = """
      UPDATE scheduled_messages SET fallback_occurrence = occurrence, updated_at = now()
      WHERE id = $1 AND claim_id = $2
      """;
  // a cancellation that came in while the occurrence was in flight is kept
  private static final String COMPLETE = """
      UPDATE scheduled_messages SET
        status = CASE WHEN status = 'cancelled' THEN 'cancelled' ELSE $3 END,
        send_at = COALESCE($4::timestamptz, send_at),
        occurrence = COALESCE($5::integer, occurrence),
        occurrences_sent = occurrences_sent + $6,
        occurrences_failed = occurrences_failed + $7,
        last_message_id = COALESCE($8::uuid, last_message_id),
        last_sent_at = CASE WHEN $8::uuid IS NULL THEN last_sent_at ELSE now() END,
        last_used_fallback = CASE WHEN $8::uuid IS NULL THEN last_used_fallback ELSE $9 END,
        last_error_code = $10,
        last_error = $11,
        claim_id = NULL,
        lease_until = NULL,
        updated_at = now()
      WHERE id = $1 AND claim_id = $2
      RETURNING\s""" + COLUMNS;

  /** A scheduled message to insert; {@code sendAt} is its first occurrence. */
  public record NewScheduled(UUID id, UUID organizationId, UUID conversationId, UUID createdBy, String senderType,
      JsonObject message, JsonObject fallbackTemplate, Instant sendAt, String recurrence, String timeZone,
      Instant endsAt, Integer maxOccurrences) {}

  /**
   * What became of a claimed occurrence.
   *
   * @param status the row's status afterwards: {@code scheduled} (another occurrence follows), {@code sent} or
   *     {@code failed}
   * @param nextSendAt the next occurrence's time and {@code nextOccurrence} its number, or null when none follows
   * @param messageId the message sent, or null when the occurrence failed
   * @param errorCode the refusal's stable code, or null when it was sent
   */
  public record Completion(String status, Instant nextSendAt, Integer nextOccurrence, UUID messageId,
      boolean usedFallback, String errorCode, String error) {}

  public Future<ScheduledRow> insert(SqlClient client, NewScheduled row) {
    return client.preparedQuery(INSERT)
        .execute(Tuple.from(new Object[] {row.id(), row.organizationId(), row.conversationId(), row.createdBy(),
            row.senderType(), row.message(), row.fallbackTemplate(), utc(row.sendAt()), row.recurrence(),
            row.timeZone(), utc(row.endsAt()), row.maxOccurrences()}))
        .map(rows -> map(rows.iterator().next()));
  }

  public Future<Optional<ScheduledRow>> find(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id, organizationId)).map(ScheduledMessageStore::first);
  }

  /** Up to {@code limit} rows of the organization, next occurrence first, after {@code (afterSendAt, afterId)}. */
  public Future<List<ScheduledRow>> list(SqlClient client, UUID organizationId, UUID conversationId, String status,
      Instant afterSendAt, UUID afterId, int limit) {
    return client.preparedQuery(LIST)
        .execute(Tuple.of(organizationId, conversationId, status, utc(afterSendAt), afterId, limit))
        .map(ScheduledMessageStore::all);
  }

  /** Cancels a row that is still {@code scheduled} or {@code sending}; empty when it is not (or not there). */
  public Future<Optional<ScheduledRow>> cancel(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(CANCEL).execute(Tuple.of(id, organizationId)).map(ScheduledMessageStore::first);
  }

  /** Claims up to {@code limit} due (or abandoned) rows for {@code lease}: they are {@code sending} afterwards. */
  public Future<List<ScheduledRow>> claimDue(SqlClient client, Duration lease, int limit) {
    return client.preparedQuery(CLAIM)
        .execute(Tuple.of(limit, lease.toMillis()))
        .map(ScheduledMessageStore::all);
  }

  /** Records that the claimed occurrence goes out as the fallback template; false when the claim was lost. */
  public Future<Boolean> chooseFallback(SqlClient client, UUID id, UUID claimId) {
    return client.preparedQuery(CHOOSE_FALLBACK).execute(Tuple.of(id, claimId)).map(rows -> rows.rowCount() == 1);
  }

  /** Records the outcome of a claimed occurrence; empty when the claim was lost (its lease ran out meanwhile). */
  public Future<Optional<ScheduledRow>> complete(SqlClient client, UUID id, UUID claimId, Completion done) {
    return client.preparedQuery(COMPLETE)
        .execute(Tuple.from(new Object[] {id, claimId, done.status(), utc(done.nextSendAt()), done.nextOccurrence(),
            done.messageId() == null ? 0 : 1, done.messageId() == null ? 1 : 0, done.messageId(), done.usedFallback(),
            done.errorCode(), done.error()}))
        .map(ScheduledMessageStore::first);
  }

  private static Optional<ScheduledRow> first(RowSet<Row> rows) {
    return rows.rowCount() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next()));
  }

  private static List<ScheduledRow> all(RowSet<Row> rows) {
    List<ScheduledRow> list = new ArrayList<>(rows.rowCount());
    rows.forEach(row -> list.add(map(row)));
    return list;
  }

  private static ScheduledRow map(Row row) {
    return new ScheduledRow(row.getUUID("id"), row.getUUID("organization_id"), row.getUUID("conversation_id"),
        row.getUUID("created_by"), row.getString("sender_type"), (JsonObject) row.getValue("message"),
        (JsonObject) row.getValue("fallback_template"), instant(row, "send_at"), row.getString("recurrence"),
        row.getString("time_zone"), instant(row, "first_send_at"), instant(row, "ends_at"),
        row.getInteger("max_occurrences"), row.getInteger("occurrence"), row.getInteger("occurrences_sent"),
        row.getInteger("occurrences_failed"), row.getString("status"), row.getUUID("claim_id"),
        row.getString("last_error_code"), row.getString("last_error"), row.getInteger("fallback_occurrence"),
        row.getUUID("last_message_id"), instant(row, "last_sent_at"), row.getBoolean("last_used_fallback"),
        instant(row, "cancelled_at"), instant(row, "created_at"), instant(row, "updated_at"));
  }

  private static Instant instant(Row row, String column) {
    var time = row.getOffsetDateTime(column);
    return time == null ? null : time.toInstant();
  }

  /**
   * One scheduled message.
   *
   * @param occurrence the number of the occurrence {@code sendAt} stands for (1 for the first)
   * @param claimId the current claim while {@code sending}, else null
   * @param fallbackOccurrence the occurrence for which the fallback template was chosen, or null
   */
  public record ScheduledRow(UUID id, UUID organizationId, UUID conversationId, UUID createdBy, String senderType,
      JsonObject message, JsonObject fallbackTemplate, Instant sendAt, String recurrence, String timeZone,
      Instant firstSendAt, Instant endsAt, Integer maxOccurrences, int occurrence, int occurrencesSent,
      int occurrencesFailed, String status, UUID claimId, String lastErrorCode, String lastError,
      Integer fallbackOccurrence, UUID lastMessageId, Instant lastSentAt, boolean lastUsedFallback,
      Instant cancelledAt, Instant createdAt, Instant updatedAt) {

    /** The shape the API answers with. */
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("organization_id", organizationId.toString())
          .put("conversation_id", conversationId.toString())
          .put("created_by", createdBy == null ? null : createdBy.toString())
          .put("sender_type", senderType)
          .put("message", message)
          .put("fallback_template", fallbackTemplate)
          .put("status", status)
          .put("send_at", text(sendAt))
          .put("recurrence", recurrence)
          .put("time_zone", timeZone)
          .put("first_send_at", text(firstSendAt))
          .put("ends_at", text(endsAt))
          .put("max_occurrences", maxOccurrences)
          .put("occurrence", occurrence)
          .put("occurrences_sent", occurrencesSent)
          .put("occurrences_failed", occurrencesFailed)
          .put("remaining_occurrences", maxOccurrences == null ? null
              : Math.max(0, maxOccurrences - occurrencesSent - occurrencesFailed))
          .put("last_message_id", lastMessageId == null ? null : lastMessageId.toString())
          .put("last_sent_at", text(lastSentAt))
          .put("last_used_fallback", lastUsedFallback)
          .put("last_error_code", lastErrorCode)
          .put("last_error", lastError)
          .put("cancelled_at", text(cancelledAt))
          .put("created_at", text(createdAt))
          .put("updated_at", text(updatedAt));
    }

    private static String text(Instant instant) {
      return instant == null ? null : instant.toString();
    }
  }
}

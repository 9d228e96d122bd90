package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Folding one contact into another: the statements that move what belongs to the merged-away contact (its
 * identities, conversations, notes and earlier merge records) to the kept one, and the {@code contact_merges}
 * audit table. Kept together so the whole fold reads as one unit; every statement runs in the caller's
 * transaction, after both contacts are locked.
 */
public final class ContactMergeStore {
  private static final String COLUMNS = """
      id, organization_id, kept_contact_id, merged_contact_id, merged_contact, moved, merged_by, merged_by_type,
      created_at""";
  // the merged contact's open conversations on a channel where the kept contact has one open too: at most one
  // conversation per contact and channel may be open, so these are closed before they move
  private static final String CLOSE_CONFLICTING = """
      UPDATE conversations m SET status = 'closed', version = version + 1, updated_at = now()
       WHERE m.contact_id = $2 AND m.status = 'open'
         AND EXISTS (SELECT 1 FROM conversations k WHERE k.contact_id = $1 AND k.channel_id = m.channel_id
                       AND k.status = 'open')
      RETURNING m.id
      """;
  private static final String MOVE_CONVERSATIONS = """
      UPDATE conversations SET contact_id = $1, version = version + 1, updated_at = now()
       WHERE contact_id = $2
      RETURNING id
      """;
  private static final String MOVE_IDENTITIES =
      "UPDATE contact_identities SET contact_id = $1, updated_at = now() WHERE contact_id = $2";
  private static final String MOVE_NOTES = "UPDATE notes SET contact_id = $1 WHERE contact_id = $2";
  // merges earlier folded into the merged contact now belong to the kept one (instead of cascading away)
  private static final String MOVE_MERGES = "UPDATE contact_merges SET kept_contact_id = $1 WHERE kept_contact_id = $2";
  private static final String INSERT = """
      INSERT INTO contact_merges (id, organization_id, kept_contact_id, merged_contact_id, merged_contact, moved,
        merged_by, merged_by_type)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      RETURNING\s""" + COLUMNS;
  // newest first, paged by (created_at, id)
  private static final String LIST = "SELECT " + COLUMNS + """
       FROM contact_merges
      WHERE organization_id = $1 AND kept_contact_id = $2
        AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
      ORDER BY created_at DESC, id DESC
      LIMIT $5
      """;

  /** The audit record of one merge. {@code moved} counts what moved ({@code identities}, {@code conversations}, ...). */
  public record MergeRow(UUID id, UUID keptContactId, UUID mergedContactId, JsonObject mergedContact, JsonObject moved,
      UUID mergedBy, String mergedByType, OffsetDateTime createdAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("kept_contact_id", keptContactId.toString())
          .put("merged_contact_id", mergedContactId.toString())
          .put("merged_contact", mergedContact)
          .put("moved", moved)
          .put("merged_by", mergedBy == null ? null : mergedBy.toString())
          .put("merged_by_type", mergedByType)
          .put("created_at", Timestamps.iso(createdAt));
    }

    static MergeRow from(Row row) {
      return new MergeRow(row.getUUID("id"), row.getUUID("kept_contact_id"), row.getUUID("merged_contact_id"),
          (JsonObject) row.getValue("merged_contact"), (JsonObject) row.getValue("moved"), row.getUUID("merged_by"),
          row.getString("merged_by_type"), row.getOffsetDateTime("created_at"));
    }
  }

  /** Closes the merged contact's open conversations that would clash with the kept contact's; their ids. */
  public Future<List<UUID>> closeConflicting(SqlClient tx, UUID keptId, UUID mergedId) {
    return ids(tx, CLOSE_CONFLICTING, keptId, mergedId);
  }

  /** Moves every conversation of the merged contact to the kept one; their ids. */
  public Future<List<UUID>> moveConversations(SqlClient tx, UUID keptId, UUID mergedId) {
    return ids(tx, MOVE_CONVERSATIONS, keptId, mergedId);
  }

  public Future<Integer> moveIdentities(SqlClient tx, UUID keptId, UUID mergedId) {
    return tx.preparedQuery(MOVE_IDENTITIES).execute(Tuple.of(keptId, mergedId)).map(rows -> rows.rowCount());
  }

  public Future<Integer> moveNotes(SqlClient tx, UUID keptId, UUID mergedId) {
    return tx.preparedQuery(MOVE_NOTES).execute(Tuple.of(keptId, mergedId)).map(rows -> rows.rowCount());
  }

  public Future<Integer> moveMergeRecords(SqlClient tx, UUID keptId, UUID mergedId) {
    return tx.preparedQuery(MOVE_MERGES).execute(Tuple.of(keptId, mergedId)).map(rows -> rows.rowCount());
  }

  public Future<MergeRow> record(SqlClient tx, UUID organizationId, UUID keptId, UUID mergedId,
      JsonObject mergedContact, JsonObject moved, UUID mergedBy, String mergedByType) {
    return tx.preparedQuery(INSERT)
        .execute(Tuple.from(new Object[] {UUID.randomUUID(), organizationId, keptId, mergedId, mergedContact, moved,
            mergedBy, mergedByType}))
        .map(rows -> MergeRow.from(rows.iterator().next()));
  }

  /** Up to {@code limit} merges into {@code keptId}, newest first, after {@code (afterCreated, afterId)}. */
  public Future<List<MergeRow>> list(SqlClient client, UUID organizationId, UUID keptId, OffsetDateTime afterCreated,
      UUID afterId, int limit) {
    return client.preparedQuery(LIST).execute(Tuple.of(organizationId, keptId, afterCreated, afterId, limit))
        .map(rows -> {
          List<MergeRow> merges = new ArrayList<>(rows.rowCount());
          rows.forEach(row -> merges.add(MergeRow.from(row)));
          return merges;
        });
  }

  private static Future<List<UUID>> ids(SqlClient tx, String sql, UUID keptId, UUID mergedId) {
    return tx.preparedQuery(sql).execute(Tuple.of(keptId, mergedId)).map(rows -> {
      List<UUID> ids = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> ids.add(row.getUUID("id")));
      return ids;
    });
  }
}

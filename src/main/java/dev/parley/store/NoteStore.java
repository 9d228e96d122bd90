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
 * Internal notes on a contact or a conversation: written by users and services, never sent to the customer.
 * Every query is scoped to the caller's organization.
 */
public final class NoteStore {
  private static final String COLUMNS =
      "id, organization_id, contact_id, conversation_id, author_id, author_type, body, created_at, updated_at";
  private static final String INSERT = """
      INSERT INTO notes (id, organization_id, contact_id, conversation_id, author_id, author_type, body)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      RETURNING %s
      """.formatted(COLUMNS);
  // newest first, paged by (created_at, id)
  private static final String LIST = """
      SELECT %s FROM notes
      WHERE organization_id = $1 AND %s = $2
        AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
      ORDER BY created_at DESC, id DESC LIMIT $5
      """;
  private static final String LIST_FOR_CONTACT = LIST.formatted(COLUMNS, "contact_id");
  private static final String LIST_FOR_CONVERSATION = LIST.formatted(COLUMNS, "conversation_id");

  /** What a note is attached to. */
  public enum Subject { CONTACT, CONVERSATION }

  public Future<NoteRow> add(SqlClient client, UUID organizationId, Subject subject, UUID subjectId, UUID authorId,
      String authorType, String body) {
    UUID contactId = subject == Subject.CONTACT ? subjectId : null;
    UUID conversationId = subject == Subject.CONVERSATION ? subjectId : null;
    return client.preparedQuery(INSERT)
        .execute(Tuple.from(new Object[] {UUID.randomUUID(), organizationId, contactId, conversationId, authorId,
            authorType, body}))
        .map(rows -> map(rows.iterator().next()));
  }

  public Future<List<NoteRow>> list(SqlClient client, UUID organizationId, Subject subject, UUID subjectId,
      OffsetDateTime afterCreated, UUID afterId, int limit) {
    return client.preparedQuery(subject == Subject.CONTACT ? LIST_FOR_CONTACT : LIST_FOR_CONVERSATION)
        .execute(Tuple.of(organizationId, subjectId, afterCreated, afterId, limit))
        .map(rows -> {
          List<NoteRow> notes = new ArrayList<>(rows.rowCount());
          rows.forEach(row -> notes.add(map(row)));
          return notes;
        });
  }

  private static NoteRow map(Row row) {
    return new NoteRow(row.getUUID("id"), row.getUUID("contact_id"), row.getUUID("conversation_id"),
        row.getUUID("author_id"), row.getString("author_type"), row.getString("body"),
        row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
  }

  /** One note. */
  public record NoteRow(UUID id, UUID contactId, UUID conversationId, UUID authorId, String authorType, String body,
      OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("contact_id", contactId == null ? null : contactId.toString())
          .put("conversation_id", conversationId == null ? null : conversationId.toString())
          .put("author_id", authorId == null ? null : authorId.toString())
          .put("author_type", authorType)
          .put("body", body)
          .put("created_at", Timestamps.iso(createdAt))
          .put("updated_at", Timestamps.iso(updatedAt));
    }
  }
}

package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Canned responses (saved replies) of an organization. Short codes are stored in lower case and unique per
 * organization ({@link ShortCodeTaken}). Every query is scoped to the caller's organization.
 */
public final class CannedResponseStore {
  private static final String COLUMNS =
      "id, organization_id, short_code, title, body, created_by, created_by_type, created_at, updated_at";
  private static final String GET = "SELECT " + COLUMNS + " FROM canned_responses WHERE id = $1 AND organization_id = $2";
  private static final String LOCK = GET + " FOR UPDATE";
  // by short code (unique per organization, so it is the whole page key)
  private static final String LIST = "SELECT " + COLUMNS + """
       FROM canned_responses
      WHERE organization_id = $1
        AND ($2::text IS NULL OR lower(short_code) LIKE $2 OR lower(title) LIKE $3)
        AND ($4::text IS NULL OR lower(short_code) > $4)
      ORDER BY lower(short_code)
      LIMIT $5
      """;
  private static final String INSERT = """
      INSERT INTO canned_responses (id, organization_id, short_code, title, body, created_by, created_by_type)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      RETURNING\s""" + COLUMNS;
  private static final String SAVE = """
      UPDATE canned_responses SET short_code = $3, title = $4, body = $5, updated_at = now()
      WHERE id = $1 AND organization_id = $2
      RETURNING\s""" + COLUMNS;
  private static final String DELETE = "DELETE FROM canned_responses WHERE id = $1 AND organization_id = $2";

  /** One saved reply. {@code createdBy} is the user or API key that created it ({@code createdByType}). */
  public record CannedResponseRow(UUID id, UUID organizationId, String shortCode, String title, String body,
      UUID createdBy, String createdByType, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("short_code", shortCode)
          .put("title", title)
          .put("body", body)
          .put("created_by", createdBy == null ? null : createdBy.toString())
          .put("created_by_type", createdByType)
          .put("created_at", Timestamps.iso(createdAt))
          .put("updated_at", Timestamps.iso(updatedAt));
    }

    public CannedResponseRow with(String shortCode, String title, String body) {
      return new CannedResponseRow(id, organizationId, shortCode, title, body, createdBy, createdByType, createdAt,
          updatedAt);
    }

    static CannedResponseRow from(Row row) {
      return new CannedResponseRow(row.getUUID("id"), row.getUUID("organization_id"), row.getString("short_code"),
          row.getString("title"), row.getString("body"), row.getUUID("created_by"), row.getString("created_by_type"),
          row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
    }
  }

  /** Another canned response of the organization already has this short code (in any case). */
  public static final class ShortCodeTaken extends RuntimeException {
    ShortCodeTaken() {
      super("short code taken", null, false, false);
    }
  }

  public Future<Optional<CannedResponseRow>> get(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(GET).execute(Tuple.of(id, organizationId)).map(CannedResponseStore::first);
  }

  /** The canned response, locked until the transaction ends; empty when it is not in the organization. */
  public Future<Optional<CannedResponseRow>> lock(SqlClient tx, UUID organizationId, UUID id) {
    return tx.preparedQuery(LOCK).execute(Tuple.of(id, organizationId)).map(CannedResponseStore::first);
  }

  /**
   * Up to {@code limit} canned responses by short code, after {@code afterShortCode} (null: the first page);
   * {@code q} (when not null) matches a short code prefix or a substring of the title, in any case.
   */
  public Future<List<CannedResponseRow>> list(SqlClient client, UUID organizationId, String q, String afterShortCode,
      int limit) {
    String prefix = q == null ? null : Database.startingWith(q);
    String title = q == null ? null : Database.containing(q);
    return client.preparedQuery(LIST).execute(Tuple.of(organizationId, prefix, title, afterShortCode, limit))
        .map(rows -> {
          List<CannedResponseRow> list = new ArrayList<>(rows.rowCount());
          rows.forEach(row -> list.add(CannedResponseRow.from(row)));
          return list;
        });
  }

  /** Fails with {@link ShortCodeTaken}. */
  public Future<CannedResponseRow> insert(SqlClient tx, CannedResponseRow row) {
    return tx.preparedQuery(INSERT)
        .execute(Tuple.from(new Object[] {row.id(), row.organizationId(), row.shortCode(), row.title(), row.body(),
            row.createdBy(), row.createdByType()}))
        .map(rows -> CannedResponseRow.from(rows.iterator().next()))
        .recover(CannedResponseStore::shortCodeTaken);
  }

  /** Writes short code, title and body of a row locked by the caller; fails with {@link ShortCodeTaken}. */
  public Future<CannedResponseRow> save(SqlClient tx, CannedResponseRow row) {
    return tx.preparedQuery(SAVE)
        .execute(Tuple.of(row.id(), row.organizationId(), row.shortCode(), row.title(), row.body()))
        .map(rows -> CannedResponseRow.from(rows.iterator().next()))
        .recover(CannedResponseStore::shortCodeTaken);
  }

  public Future<Void> delete(SqlClient tx, UUID organizationId, UUID id) {
    return tx.preparedQuery(DELETE).execute(Tuple.of(id, organizationId)).mapEmpty();
  }

  private static <T> Future<T> shortCodeTaken(Throwable failure) {
    return Future.failedFuture(failure instanceof PgException pg && "23505".equals(pg.getSqlState())
        && "canned_responses_org_code_key".equals(pg.getConstraint()) ? new ShortCodeTaken() : failure);
  }

  private static Optional<CannedResponseRow> first(RowSet<Row> rows) {
    return rows.rowCount() == 0 ? Optional.empty() : Optional.of(CannedResponseRow.from(rows.iterator().next()));
  }
}

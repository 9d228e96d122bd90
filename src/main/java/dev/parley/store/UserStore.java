package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Users: agents and admins of an organization. E-mail addresses are unique across the installation. */
public final class UserStore {
  private static final String COLUMNS = "id, organization_id, email, name, role, active, password_hash, created_at";
  private static final String LIST = "SELECT " + COLUMNS + """
       FROM users
      WHERE organization_id = $1
        AND ($2::text IS NULL OR role = $2)
        AND ($3::boolean IS NULL OR active = $3)
        AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5))
      ORDER BY created_at, id
      LIMIT $6
      """;
  private static final String UPDATE = """
      UPDATE users SET name = coalesce($3, name), role = coalesce($4, role), active = coalesce($5, active),
             password_hash = coalesce($6, password_hash), updated_at = now()
       WHERE id = $1 AND organization_id = $2
      RETURNING\s""" + COLUMNS;

  /** A user row; {@link #toJson()} never includes the password hash. */
  public record UserRow(UUID id, UUID organizationId, String email, String name, String role, boolean active,
      String passwordHash, OffsetDateTime createdAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("organization_id", organizationId.toString())
          .put("email", email)
          .put("name", name)
          .put("role", role)
          .put("active", active)
          .put("created_at", Timestamps.iso(createdAt));
    }

    static UserRow from(Row row) {
      return new UserRow(row.getUUID("id"), row.getUUID("organization_id"), row.getString("email"),
          row.getString("name"), row.getString("role"), row.getBoolean("active"), row.getString("password_hash"),
          row.getOffsetDateTime("created_at"));
    }
  }

  /** The e-mail address already belongs to a user (of any organization). */
  public static final class EmailTaken extends RuntimeException {
    EmailTaken() {
      super("e-mail address taken", null, false, false);
    }
  }

  /** The change would leave the organization without an active admin. */
  public static final class LastAdmin extends RuntimeException {
    LastAdmin() {
      super("last admin", null, false, false);
    }
  }

  private final Pool pool;

  public UserStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Optional<UserRow>> findByEmail(String email) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE lower(email) = lower($1)")
        .execute(Tuple.of(email.trim()))
        .map(UserStore::first);
  }

  public Future<Optional<UserRow>> findById(UUID organizationId, UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE id = $1 AND organization_id = $2")
        .execute(Tuple.of(id, organizationId))
        .map(UserStore::first);
  }

  /** A user by id, in any organization (the caller compares organizations). */
  public Future<Optional<UserRow>> findById(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE id = $1").execute(Tuple.of(id))
        .map(UserStore::first);
  }

  /**
   * Up to {@code limit} users of the organization in creation order, after {@code (afterCreated, afterId)};
   * {@code role} and {@code active} filter when not null.
   */
  public Future<List<UserRow>> list(UUID organizationId, String role, Boolean active, OffsetDateTime afterCreated,
      UUID afterId, int limit) {
    return pool.preparedQuery(LIST)
        .execute(Tuple.of(organizationId, role, active, afterCreated, afterId, limit))
        .map(rows -> {
          List<UserRow> users = new ArrayList<>(rows.size());
          rows.forEach(row -> users.add(UserRow.from(row)));
          return users;
        });
  }

  /** Fails with {@link EmailTaken} when the address is in use. */
  public Future<UserRow> create(UUID organizationId, String email, String name, String role, String passwordHash) {
    return pool.preparedQuery("INSERT INTO users (id, organization_id, email, name, role, password_hash) "
            + "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + COLUMNS)
        .execute(Tuple.of(UUID.randomUUID(), organizationId, email.trim(), name, role, passwordHash))
        .map(rows -> UserRow.from(rows.iterator().next()))
        .recover(failure -> Future.failedFuture(
            failure instanceof PgException pg && "23505".equals(pg.getSqlState()) ? new EmailTaken() : failure));
  }

  /**
   * Changes the given fields (null leaves one as it is). Changes to one organization's users are serialised, and
   * one that would leave it without an active admin fails with {@link LastAdmin} and changes nothing.
   */
  public Future<Optional<UserRow>> update(UUID organizationId, UUID id, String name, String role, Boolean active,
      String passwordHash) {
    return pool.withTransaction(tx -> tx.preparedQuery("SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE")
        .execute(Tuple.of(organizationId))
        .compose(locked -> tx.preparedQuery(UPDATE).execute(Tuple.of(id, organizationId, name, role, active, passwordHash)))
        .compose(updated -> {
          Optional<UserRow> user = first(updated);
          if (user.isEmpty()) {
            return Future.succeededFuture(user);
          }
          return tx.preparedQuery("SELECT count(*) AS n FROM users WHERE organization_id = $1 AND role = 'admin' AND active")
              .execute(Tuple.of(organizationId))
              .compose(count -> count.iterator().next().getLong("n") == 0
                  ? Future.failedFuture(new LastAdmin())
                  : Future.succeededFuture(user));
        }));
  }

  private static Optional<UserRow> first(RowSet<Row> rows) {
    return rows.size() == 0 ? Optional.empty() : Optional.of(UserRow.from(rows.iterator().next()));
  }
}

package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.UUID;

/** Users: agents and admins of an organization. E-mail addresses are unique across the installation. */
public final class UserStore {
  private static final String COLUMNS = "id, organization_id, email, name, role, active, password_hash";

  /** A user row; {@link #toJson()} never includes the password hash. */
  public record UserRow(UUID id, UUID organizationId, String email, String name, String role, boolean active,
      String passwordHash) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("organization_id", organizationId.toString())
          .put("email", email)
          .put("name", name)
          .put("role", role)
          .put("active", active);
    }

    static UserRow from(Row row) {
      return new UserRow(row.getUUID("id"), row.getUUID("organization_id"), row.getString("email"),
          row.getString("name"), row.getString("role"), row.getBoolean("active"), row.getString("password_hash"));
    }
  }

  private final Pool pool;

  public UserStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Optional<UserRow>> findByEmail(String email) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE lower(email) = lower($1)")
        .execute(Tuple.of(email.trim()))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(UserRow.from(rows.iterator().next())));
  }

  public Future<Optional<UserRow>> findById(UUID organizationId, UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE id = $1 AND organization_id = $2")
        .execute(Tuple.of(id, organizationId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(UserRow.from(rows.iterator().next())));
  }

  /** A user by id, in any organization (the caller compares organizations). */
  public Future<Optional<UserRow>> findById(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM users WHERE id = $1")
        .execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(UserRow.from(rows.iterator().next())));
  }
}

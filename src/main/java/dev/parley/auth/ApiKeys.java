package dev.parley.auth;

import dev.parley.http.ApiException;
import dev.parley.store.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * API keys for internal services: {@code pk_} followed by 256 random bits (base64url). The key is returned
 * once, at creation; only its SHA-256 digest is stored (a slow hash adds nothing for a random secret of this
 * size and would make every request slow). Revoking a key takes effect on the next request.
 */
public final class ApiKeys {
  public static final String PREFIX = "pk_";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A key as listed (never with the key itself). */
  public record ApiKey(UUID id, String name, String keyPrefix, UUID createdBy, OffsetDateTime createdAt,
      OffsetDateTime lastUsedAt, OffsetDateTime revokedAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("name", name)
          .put("key_prefix", keyPrefix)
          .put("created_by", createdBy == null ? null : createdBy.toString())
          .put("created_at", Timestamps.iso(createdAt))
          .put("last_used_at", Timestamps.iso(lastUsedAt))
          .put("revoked_at", Timestamps.iso(revokedAt));
    }

    static ApiKey from(Row row) {
      return new ApiKey(row.getUUID("id"), row.getString("name"), row.getString("key_prefix"),
          row.getUUID("created_by"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("last_used_at"),
          row.getOffsetDateTime("revoked_at"));
    }
  }

  /** A freshly created key and its secret, which is never shown again. */
  public record Created(ApiKey key, String secret) {}

  private static final String COLUMNS = "id, name, key_prefix, created_by, created_at, last_used_at, revoked_at";

  private final Pool pool;

  public ApiKeys(Pool pool) {
    this.pool = pool;
  }

  public static boolean looksLikeKey(String token) {
    return token.startsWith(PREFIX);
  }

  public Future<Created> create(UUID organizationId, String name, UUID createdBy) {
    byte[] random = new byte[32];
    RANDOM.nextBytes(random);
    String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    return pool.preparedQuery("INSERT INTO api_keys (id, organization_id, name, key_prefix, key_hash, created_by) "
            + "VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + COLUMNS)
        .execute(Tuple.of(UUID.randomUUID(), organizationId, name, secret.substring(0, 10),
            Buffer.buffer(digest(secret)), createdBy))
        .map(rows -> new Created(ApiKey.from(rows.iterator().next()), secret));
  }

  /** The organization's keys, newest first, revoked ones included (they show when they were revoked). */
  public Future<List<ApiKey>> list(UUID organizationId) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM api_keys WHERE organization_id = $1 ORDER BY created_at DESC")
        .execute(Tuple.of(organizationId))
        .map(rows -> {
          List<ApiKey> keys = new ArrayList<>();
          rows.forEach(row -> keys.add(ApiKey.from(row)));
          return keys;
        });
  }

  /** Revokes a key of this organization; empty when there is no such key (or it belongs to another one). */
  public Future<Optional<ApiKey>> revoke(UUID organizationId, UUID id) {
    return pool.preparedQuery("UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) "
            + "WHERE id = $1 AND organization_id = $2 RETURNING " + COLUMNS)
        .execute(Tuple.of(id, organizationId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(ApiKey.from(rows.iterator().next())));
  }

  /** The service principal of a live key; fails with {@link ApiException} for an unknown or revoked key. */
  public Future<Principal> authenticate(String secret) {
    byte[] hash = digest(secret);
    return pool.preparedQuery("SELECT id, organization_id, name, last_used_at < now() - interval '1 minute' "
            + "OR last_used_at IS NULL AS stale FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(Buffer.buffer(hash)))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ApiException.unauthorized("invalid_api_key", "the API key is unknown or revoked"));
          }
          Row row = rows.iterator().next();
          UUID id = row.getUUID("id");
          if (row.getBoolean("stale")) { // at most one write a minute per key
            pool.preparedQuery("UPDATE api_keys SET last_used_at = now() WHERE id = $1").execute(Tuple.of(id));
          }
          return Future.succeededFuture(new Principal(Principal.Kind.API_KEY, id, row.getUUID("organization_id"),
              Principal.SERVICE, row.getString("name"), null));
        });
  }

  static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

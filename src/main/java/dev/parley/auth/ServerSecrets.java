package dev.parley.auth;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Secrets every node of one installation must share, kept in PostgreSQL: the first node to start generates
 * each one, the others (and later starts) read it, so tokens stay valid across restarts and nodes.
 */
public final class ServerSecrets {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ServerSecrets() {}

  /** The secret called {@code name}, generated (48 random bytes) if it does not exist yet. */
  public static Future<String> getOrCreate(Pool pool, String name) {
    byte[] bytes = new byte[48];
    RANDOM.nextBytes(bytes);
    String candidate = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    return pool.preparedQuery("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .execute(Tuple.of(name, candidate))
        .compose(v -> pool.preparedQuery("SELECT value FROM server_secrets WHERE name = $1").execute(Tuple.of(name)))
        .map(rows -> rows.iterator().next().getString("value"));
  }
}

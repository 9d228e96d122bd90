package dev.parley.auth;

import dev.parley.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Signed access tokens (JWT, HS256, vertx-auth-jwt) for signed-in users. Claims: {@code sub} (user id),
 * {@code org}, {@code role}, {@code name}, {@code iss=parley}, {@code iat}, {@code exp}. Expiry is checked here
 * rather than inside the library so that an expired token gets its own error code.
 */
public final class AccessTokens {
  private static final String ISSUER = "parley";

  private final JWTAuth jwt;
  private final Duration ttl;

  public AccessTokens(Vertx vertx, String secret, Duration ttl) {
    this.ttl = ttl;
    this.jwt = JWTAuth.create(vertx, new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setIssuer(ISSUER).setIgnoreExpiration(true)));
  }

  public Duration ttl() {
    return ttl;
  }

  public String issue(UUID userId, UUID organizationId, String role, String name) {
    var claims = new JsonObject().put("org", organizationId.toString()).put("role", role).put("name", name);
    return jwt.generateToken(claims, new JWTOptions()
        .setAlgorithm("HS256")
        .setIssuer(ISSUER)
        .setSubject(userId.toString())
        .setExpiresInSeconds((int) ttl.toSeconds()));
  }

  /** The token's claims as a principal; fails with {@link ApiException} when forged, malformed or expired. */
  public Future<Principal> verify(String token) {
    return jwt.authenticate(new TokenCredentials(token))
        .recover(failure -> Future.failedFuture(ApiException.unauthorized("invalid_token", "the access token is not valid")))
        .compose(user -> {
          JsonObject claims = user.attributes().getJsonObject("accessToken", new JsonObject()); // every decoded claim
          try {
            Instant expiresAt = Instant.ofEpochSecond(claims.getLong("exp"));
            if (!expiresAt.isAfter(Instant.now())) {
              return Future.failedFuture(ApiException.unauthorized("token_expired", "the access token has expired; sign in again"));
            }
            return Future.succeededFuture(new Principal(Principal.Kind.USER, UUID.fromString(claims.getString("sub")),
                UUID.fromString(claims.getString("org")), claims.getString("role"), claims.getString("name"), expiresAt));
          } catch (RuntimeException e) { // signed by us but not shaped by us: treat as invalid
            return Future.failedFuture(ApiException.unauthorized("invalid_token", "the access token is not valid"));
          }
        });
  }
}

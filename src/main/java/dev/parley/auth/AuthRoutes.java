package dev.parley.auth;

import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Routes;
import dev.parley.store.UserStore;
import dev.parley.store.UserStore.UserRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;

/**
 * Sign-in and API keys under {@code /api/v1}: {@code POST /auth/login} (public), {@code GET /auth/me}, and
 * {@code POST|GET /api_keys}, {@code DELETE /api_keys/:id} (admins).
 */
public final class AuthRoutes implements Routes {
  private static final String WRONG = "the e-mail address or the password is incorrect";

  private final Vertx vertx;
  private final UserStore users;
  private final AccessTokens tokens;
  private final ApiKeys apiKeys;
  private final LoginLimiter limiter;

  public AuthRoutes(Vertx vertx, UserStore users, AccessTokens tokens, ApiKeys apiKeys, LoginLimiter limiter) {
    this.vertx = vertx;
    this.users = users;
    this.tokens = tokens;
    this.apiKeys = apiKeys;
    this.limiter = limiter;
  }

  /** Routes that need no credential (mounted before authentication). */
  public void mountPublic(Router api) {
    api.post("/auth/login").handler(this::login);
  }

  @Override
  public void mount(Router api) {
    api.get("/auth/me").handler(ctx -> Api.json(ctx, 200, Api.principal(ctx).toJson()));
    api.post("/api_keys").handler(this::createKey);
    api.get("/api_keys").handler(this::listKeys);
    api.delete("/api_keys/:id").handler(this::revokeKey);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = Api.body(ctx);
    String email = Api.requiredString(body, "email", 320);
    String password = Api.requiredString(body, "password", 1024);
    String address = ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().hostAddress();
    limiter.check(email, address)
        .compose(verdict -> {
          if (!verdict.allowed()) {
            ctx.response().putHeader("Retry-After", String.valueOf(Math.max(1, verdict.retryAfter().toSeconds())));
            return Future.failedFuture(new ApiException(429, "too_many_attempts",
                "too many failed sign-ins; try again in " + Math.max(1, verdict.retryAfter().toSeconds()) + " s"));
          }
          return users.findByEmail(email);
        })
        .compose(found -> checkPassword(found, password).compose(matches -> {
          if (!matches) {
            return limiter.failed(email, address).compose(v -> Future.failedFuture(ApiException.unauthorized("invalid_credentials", WRONG)));
          }
          UserRow user = found.get();
          if (!user.active()) {
            return Future.failedFuture(new ApiException(403, "account_inactive", "this account has been deactivated"));
          }
          return limiter.succeeded(email).map(user);
        }))
        .onSuccess(user -> Api.json(ctx, 200, new JsonObject()
            .put("access_token", tokens.issue(user.id(), user.organizationId(), user.role(), user.name()))
            .put("token_type", "Bearer")
            .put("expires_in", tokens.ttl().toSeconds())
            .put("user", user.toJson())))
        .onFailure(ctx::fail);
  }

  /** Slow on purpose, and as slow for an unknown address as for a wrong password. */
  private Future<Boolean> checkPassword(Optional<UserRow> user, String password) {
    String hash = user.map(UserRow::passwordHash).orElse(null);
    return vertx.executeBlocking(() -> {
      boolean matches = PasswordHasher.verify(password, hash == null ? Decoy.HASH : hash);
      return matches && hash != null;
    }, false);
  }

  private void createKey(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    String name = Api.requiredString(Api.body(ctx), "name", 200);
    Api.answer(ctx, 201, apiKeys.create(admin.organizationId(), name, admin.userId())
        .map(created -> created.key().toJson().put("key", created.secret())));
  }

  private void listKeys(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    Api.answer(ctx, 200, apiKeys.list(admin.organizationId()).map(keys -> new JsonObject()
        .put("data", new JsonArray(keys.stream().map(ApiKeys.ApiKey::toJson).toList()))
        .putNull("next_cursor")));
  }

  private void revokeKey(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    apiKeys.revoke(admin.organizationId(), Api.uuidParam(ctx, "id", "API key"))
        .onSuccess(revoked -> {
          if (revoked.isEmpty()) {
            ctx.fail(ApiException.notFound("API key"));
          } else {
            ctx.response().setStatusCode(204).end();
          }
        })
        .onFailure(ctx::fail);
  }

  /** A hash no password matches, verified when the e-mail address is unknown, computed once off the event loop. */
  private static final class Decoy {
    static final String HASH = PasswordHasher.hash(java.util.UUID.randomUUID().toString());
  }
}

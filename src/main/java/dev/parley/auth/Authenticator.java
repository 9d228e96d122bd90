package dev.parley.auth;

import dev.parley.http.ApiException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import dev.parley.store.UserStore;
import dev.parley.store.UserStore.UserRow;

/**
 * Turns a presented credential (an access token or an API key) into a {@link Principal}. A token's user is
 * looked up on every call, so a deactivated user is locked out at once and a role change applies at once.
 */
public final class Authenticator {
  /** The WebSocket subprotocol that carries a credential: {@code new WebSocket(url, ["bearer", token])}. */
  public static final String BEARER_SUBPROTOCOL = "bearer";

  private final AccessTokens tokens;
  private final ApiKeys apiKeys;
  private final UserStore users;

  public Authenticator(AccessTokens tokens, ApiKeys apiKeys, UserStore users) {
    this.tokens = tokens;
    this.apiKeys = apiKeys;
    this.users = users;
  }

  public Future<Principal> authenticate(String credential) {
    if (credential == null || credential.isBlank()) {
      return Future.failedFuture(ApiException.unauthorized("unauthorized",
          "sign in first: send an access token or an API key"));
    }
    if (ApiKeys.looksLikeKey(credential)) {
      return apiKeys.authenticate(credential);
    }
    return tokens.verify(credential).compose(claimed -> users.findById(claimed.id()).compose(found -> {
      if (found.isEmpty() || !found.get().active() || !found.get().organizationId().equals(claimed.organizationId())) {
        return Future.failedFuture(ApiException.unauthorized("account_inactive", "this account is no longer active"));
      }
      UserRow user = found.get();
      return Future.succeededFuture(new Principal(Principal.Kind.USER, user.id(), user.organizationId(), user.role(),
          user.name(), claimed.expiresAt()));
    }));
  }

  /**
   * The credential of a REST call: {@code Authorization: Bearer …}, {@code X-Api-Key}, or {@code apikey} (the
   * header the multi-channel platform's integrations send to its {@code /rest/v1} routes).
   */
  public static String fromHeaders(HttpServerRequest request) {
    String authorization = request.getHeader("Authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    String key = request.getHeader("X-Api-Key");
    return key != null ? key : request.getHeader("apikey");
  }

  /**
   * The credential of a WebSocket upgrade: the {@code access_token} query parameter, the token after
   * {@code bearer} in {@code Sec-WebSocket-Protocol} (browsers cannot set headers), or the REST headers.
   */
  public static String fromUpgrade(HttpServerRequest request) {
    String query = request.getParam("access_token");
    if (query != null) {
      return query;
    }
    String protocols = request.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      String[] offered = protocols.split(",");
      for (int i = 0; i < offered.length - 1; i++) {
        if (offered[i].trim().equalsIgnoreCase(BEARER_SUBPROTOCOL)) {
          return offered[i + 1].trim();
        }
      }
    }
    return fromHeaders(request);
  }
}

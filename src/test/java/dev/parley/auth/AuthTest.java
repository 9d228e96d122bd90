package dev.parley.auth;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Sign-in, access tokens and API keys over real HTTP against real PostgreSQL and Redis. */
@Tag("e2e")
class AuthTest {
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of("PARLEY_LOGIN_MAX_FAILURES", "3"));
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static HttpResponse<Buffer> login(String email, String password) {
    return app.postJson("/api/v1/auth/login", new JsonObject().put("email", email).put("password", password), null);
  }

  private static HttpResponse<Buffer> me(String token) {
    return app.api(HttpMethod.GET, "/api/v1/auth/me", null, token);
  }

  @Test
  void signInAnswersABearerTokenThatAuthenticatesTheApi() {
    var response = login(TestApp.ADMIN_EMAIL.toUpperCase(), TestApp.ADMIN_PASSWORD);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals("Bearer", body.getString("token_type"));
    assertEquals(Duration.ofHours(12).toSeconds(), body.getLong("expires_in"));
    JsonObject user = body.getJsonObject("user");
    assertEquals(TestApp.ADMIN_EMAIL, user.getString("email"));
    assertEquals("admin", user.getString("role"));
    assertEquals(app.organizationId().toString(), user.getString("organization_id"));
    assertFalse(response.bodyAsString().contains("pbkdf2"), "no password hash in the answer");

    var principal = me(body.getString("access_token"));
    assertEquals(200, principal.statusCode(), principal.bodyAsString());
    assertEquals(user.getString("id"), principal.bodyAsJsonObject().getString("id"));
    assertEquals("user", principal.bodyAsJsonObject().getString("kind"));
  }

  @Test
  void theDemoAgentCanSignIn() {
    var response = login("agent@parley.local", "parley-demo-agent");
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("agent", response.bodyAsJsonObject().getJsonObject("user").getString("role"));
  }

  @Test
  void wrongCredentialsGiveTheSame401WithoutAHint() {
    var wrongPassword = login("nobody-wrong-password@parley.local", "whatever-it-is");
    app.createUser(app.organizationId(), "real@parley.local", "Real", "agent", "the-real-password");
    var realWrong = login("real@parley.local", "not-the-password");
    assertEquals(401, wrongPassword.statusCode());
    assertEquals(401, realWrong.statusCode());
    assertEquals(wrongPassword.bodyAsString(), realWrong.bodyAsString(), "unknown e-mail and wrong password look alike");
    assertEquals("invalid_credentials", errorCode(realWrong));
  }

  @Test
  void malformedSignInsAre400() {
    assertEquals(400, login(TestApp.ADMIN_EMAIL, "").statusCode());
    var noEmail = app.postJson("/api/v1/auth/login", new JsonObject().put("password", "x"), null);
    assertEquals(400, noEmail.statusCode());
    assertEquals("invalid_request", errorCode(noEmail));
    var notJson = app.post("/api/v1/auth/login", Buffer.buffer("email=a&password=b"), null);
    assertEquals(400, notJson.statusCode());
    assertEquals("invalid_request", errorCode(notJson));
  }

  @Test
  void repeatedFailuresAreRateLimitedEvenForTheRightPassword() {
    app.createUser(app.organizationId(), "target@parley.local", "Target", "agent", "target-password");
    for (int i = 0; i < 3; i++) {
      assertEquals(401, login("target@parley.local", "guess-" + i).statusCode());
    }
    var limited = login("target@parley.local", "target-password");
    assertEquals(429, limited.statusCode(), limited.bodyAsString());
    assertEquals("too_many_attempts", errorCode(limited));
    assertTrue(Integer.parseInt(limited.getHeader("Retry-After")) > 0);
    // another account from the same client is not locked by this one
    app.createUser(app.organizationId(), "bystander@parley.local", "Bystander", "agent", "bystander-password");
    assertEquals(200, login("bystander@parley.local", "bystander-password").statusCode());
  }

  @Test
  void aDeactivatedUserCanNeitherSignInNorUseATokenIssuedBefore() {
    UUID user = app.createUser(app.organizationId(), "leaver@parley.local", "Leaver", "agent", "leaver-password");
    String token = app.login("leaver@parley.local", "leaver-password");
    assertEquals(200, me(token).statusCode());
    app.sql("UPDATE users SET active = false WHERE id = $1", user);
    var refused = me(token);
    assertEquals(401, refused.statusCode());
    assertEquals("account_inactive", errorCode(refused));
    var signIn = login("leaver@parley.local", "leaver-password");
    assertEquals(403, signIn.statusCode());
    assertEquals("account_inactive", errorCode(signIn));
  }

  @Test
  void missingForgedAndExpiredTokensAre401WithTheirOwnCodes() {
    var none = me(null);
    assertEquals(401, none.statusCode());
    assertEquals("unauthorized", errorCode(none));

    String adminId = app.one("SELECT id FROM users WHERE email = $1", TestApp.ADMIN_EMAIL).getUUID("id").toString();
    var forger = new AccessTokens(app.parley.vertx(), "a-secret-that-is-not-the-servers-secret-at-all", Duration.ofHours(1));
    var forged = me(forger.issue(UUID.fromString(adminId), app.organizationId(), "admin", "Forged"));
    assertEquals(401, forged.statusCode());
    assertEquals("invalid_token", errorCode(forged));

    String secret = app.one("SELECT value FROM server_secrets WHERE name = 'jwt'").getString("value");
    var shortLived = new AccessTokens(app.parley.vertx(), secret, Duration.ofSeconds(1));
    String token = shortLived.issue(UUID.fromString(adminId), app.organizationId(), "admin", "Demo Admin");
    assertEquals(200, me(token).statusCode(), "a token signed with the server's secret is accepted");
    TestApp.sleep(2100);
    var expired = me(token);
    assertEquals(401, expired.statusCode());
    assertEquals("token_expired", errorCode(expired));
  }

  @Test
  void apiKeysAreCreatedByAdminsShownOnceAuthenticateAndRevoke() {
    String admin = app.adminToken();
    var created = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "CRM sync"), admin);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    String key = created.bodyAsJsonObject().getString("key");
    String id = created.bodyAsJsonObject().getString("id");
    assertTrue(key.startsWith("pk_") && key.length() > 40, key);
    assertEquals(key.substring(0, 10), created.bodyAsJsonObject().getString("key_prefix"));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM api_keys a WHERE row_to_json(a)::text LIKE '%' || $1 || '%'",
        key.substring(10)).getLong("n"), "the key itself is not stored");
    assertEquals(java.util.HexFormat.of().formatHex(ApiKeys.digest(key)),
        app.one("SELECT encode(key_hash, 'hex') AS h FROM api_keys WHERE id = $1::uuid", id).getString("h"));

    var listed = app.api(HttpMethod.GET, "/api/v1/api_keys", null, admin);
    assertEquals(200, listed.statusCode());
    assertFalse(listed.bodyAsString().contains(key), "the key is never listed");
    assertTrue(listed.bodyAsString().contains(id));

    var asService = me(key);
    assertEquals(200, asService.statusCode(), asService.bodyAsString());
    assertEquals("api_key", asService.bodyAsJsonObject().getString("kind"));
    assertEquals("service", asService.bodyAsJsonObject().getString("role"));
    assertEquals(app.organizationId().toString(), asService.bodyAsJsonObject().getString("organization_id"));
    var viaHeader = app.http.request(HttpMethod.GET, app.parley.httpPort(), "127.0.0.1", "/api/v1/auth/me")
        .putHeader("X-Api-Key", key).send().await();
    assertEquals(200, viaHeader.statusCode());
    assertNotNull(app.one("SELECT last_used_at FROM api_keys WHERE id = $1::uuid", id).getValue("last_used_at"));

    assertEquals(403, app.postJson("/api/v1/api_keys", new JsonObject().put("name", "by a key"), key).statusCode(),
        "a key cannot mint keys");
    app.createUser(app.organizationId(), "agent-keys@parley.local", "Agent", "agent", "agent-keys-password");
    String agent = app.login("agent-keys@parley.local", "agent-keys-password");
    var byAgent = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "by an agent"), agent);
    assertEquals(403, byAgent.statusCode());
    assertEquals("forbidden", errorCode(byAgent));
    assertEquals(400, app.postJson("/api/v1/api_keys", new JsonObject(), admin).statusCode());

    assertEquals(204, app.api(HttpMethod.DELETE, "/api/v1/api_keys/" + id, null, admin).statusCode());
    var revoked = me(key);
    assertEquals(401, revoked.statusCode());
    assertEquals("invalid_api_key", errorCode(revoked));
    assertEquals(404, app.api(HttpMethod.DELETE, "/api/v1/api_keys/" + UUID.randomUUID(), null, admin).statusCode());
    assertEquals(404, app.api(HttpMethod.DELETE, "/api/v1/api_keys/not-a-uuid", null, admin).statusCode());
  }

  @Test
  void anotherOrganizationsKeyCannotBeRevoked() {
    UUID other = app.createOrganization("Key Org", UUID.randomUUID(), "300000000000003", "key-org-secret");
    app.createUser(other, "admin@key-org.example", "Other Admin", "admin", "other-admin-password");
    String otherAdmin = app.login("admin@key-org.example", "other-admin-password");
    String otherKeyId = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "theirs"), otherAdmin)
        .bodyAsJsonObject().getString("id");
    var attempt = app.api(HttpMethod.DELETE, "/api/v1/api_keys/" + otherKeyId, null, app.adminToken());
    assertEquals(404, attempt.statusCode());
    assertNull(app.one("SELECT revoked_at FROM api_keys WHERE id = $1::uuid", otherKeyId).getValue("revoked_at"));
    assertFalse(app.api(HttpMethod.GET, "/api/v1/api_keys", null, app.adminToken()).bodyAsString().contains(otherKeyId));
  }

  @Test
  void unknownApiRoutesAnswerJsonErrors() {
    var unknown = app.api(HttpMethod.GET, "/api/v1/no-such-thing", null, app.adminToken());
    assertEquals(404, unknown.statusCode());
    assertEquals("not_found", errorCode(unknown));
  }

  @Test
  void tokensSurviveARestartBecauseTheSigningSecretIsShared() {
    String token = app.adminToken();
    TestApp second = TestApp.join(app, Map.of());
    try {
      var response = second.api(HttpMethod.GET, "/api/v1/auth/me", null, token);
      assertEquals(200, response.statusCode(), "a token from one node is valid on another: " + response.bodyAsString());
    } finally {
      second.stop();
    }
  }
}

package dev.parley.user;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The admin surfaces of the REST API: users and channels, with their roles, scopes and refusals. */
@Tag("e2e")
class UsersAndChannelsApiTest {
  private static TestApp app;
  private static String admin;
  private static String agent;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    agent = app.login("agent@parley.local", "parley-demo-agent");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body, String token) {
    return app.api(method, path, body, token);
  }

  @Test
  void adminsCreateUsersWhoCanSignInAndAgentsCanOnlyRead() {
    var created = call(HttpMethod.POST, "/api/v1/users", new JsonObject().put("email", "New.Agent@parley.local")
        .put("name", "New Agent").put("role", "agent").put("password", "new-agent-password"), admin);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    JsonObject user = created.bodyAsJsonObject();
    assertEquals("agent", user.getString("role"));
    assertTrue(user.getBoolean("active"));
    assertFalse(created.bodyAsString().contains("password"), "no password or hash in answers");
    assertNotNull(app.login("new.agent@parley.local", "new-agent-password"));

    var duplicate = call(HttpMethod.POST, "/api/v1/users", new JsonObject().put("email", "new.agent@PARLEY.local")
        .put("name", "Again").put("password", "another-password"), admin);
    assertEquals(409, duplicate.statusCode());
    assertEquals("email_taken", errorCode(duplicate));

    var byAgent = call(HttpMethod.POST, "/api/v1/users", new JsonObject().put("email", "x@parley.local")
        .put("name", "X").put("password", "xxxxxxxxxx"), agent);
    assertEquals(403, byAgent.statusCode());
    assertEquals(403, call(HttpMethod.PATCH, "/api/v1/users/" + user.getString("id"),
        new JsonObject().put("role", "admin"), agent).statusCode());

    var list = call(HttpMethod.GET, "/api/v1/users", null, agent);
    assertEquals(200, list.statusCode(), "agents read the users list");
    assertTrue(list.bodyAsString().contains("new.agent@parley.local") || list.bodyAsString().contains("New.Agent@parley.local"));
    assertEquals(200, call(HttpMethod.GET, "/api/v1/users/" + user.getString("id"), null, agent).statusCode());

    for (JsonObject bad : new JsonObject[] {
        new JsonObject().put("email", "not-an-address").put("name", "A").put("password", "long-enough"),
        new JsonObject().put("email", "a@b.example").put("name", "A").put("password", "short"),
        new JsonObject().put("email", "a@b.example").put("name", "A").put("password", "long-enough").put("role", "owner"),
        new JsonObject().put("email", "a@b.example").put("password", "long-enough")}) {
      var refused = call(HttpMethod.POST, "/api/v1/users", bad, admin);
      assertEquals(400, refused.statusCode(), bad.encode());
      assertEquals("invalid_request", errorCode(refused));
    }
  }

  @Test
  void adminsChangeRolesAndDeactivateButNeverTheLastAdmin() {
    String id = call(HttpMethod.POST, "/api/v1/users", new JsonObject().put("email", "promoted@parley.local")
        .put("name", "Promoted").put("password", "promoted-password"), admin).bodyAsJsonObject().getString("id");
    var promoted = call(HttpMethod.PATCH, "/api/v1/users/" + id, new JsonObject().put("role", "admin").put("name", "Boss"), admin);
    assertEquals(200, promoted.statusCode(), promoted.bodyAsString());
    assertEquals("admin", promoted.bodyAsJsonObject().getString("role"));
    assertEquals("Boss", promoted.bodyAsJsonObject().getString("name"));

    String token = app.login("promoted@parley.local", "promoted-password");
    var deactivated = call(HttpMethod.PATCH, "/api/v1/users/" + id, new JsonObject().put("active", false), admin);
    assertEquals(200, deactivated.statusCode());
    assertFalse(deactivated.bodyAsJsonObject().getBoolean("active"));
    assertEquals(401, call(HttpMethod.GET, "/api/v1/auth/me", null, token).statusCode(), "locked out at once");
    assertEquals(1, call(HttpMethod.GET, "/api/v1/users?active=false", null, admin)
        .bodyAsJsonObject().getJsonArray("data").size());

    String adminId = app.one("SELECT id FROM users WHERE email = $1", TestApp.ADMIN_EMAIL).getUUID("id").toString();
    var demote = call(HttpMethod.PATCH, "/api/v1/users/" + adminId, new JsonObject().put("role", "agent"), admin);
    assertEquals(409, demote.statusCode(), demote.bodyAsString());
    assertEquals("last_admin", errorCode(demote));
    assertEquals("admin", app.one("SELECT role FROM users WHERE id = $1::uuid", adminId).getString("role"));
    assertEquals(409, call(HttpMethod.PATCH, "/api/v1/users/" + adminId, new JsonObject().put("active", false), admin)
        .statusCode());
    assertEquals(400, call(HttpMethod.PATCH, "/api/v1/users/" + id, new JsonObject().put("active", "no"), admin).statusCode());
  }

  @Test
  void usersAreListedInPagesWithACursor() {
    for (int i = 0; i < 5; i++) {
      call(HttpMethod.POST, "/api/v1/users", new JsonObject().put("email", "paged" + i + "@parley.local")
          .put("name", "Paged " + i).put("password", "paged-password"), admin);
    }
    Set<String> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      var page = call(HttpMethod.GET, "/api/v1/users?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), null, admin);
      assertEquals(200, page.statusCode(), page.bodyAsString());
      JsonArray data = page.bodyAsJsonObject().getJsonArray("data");
      assertTrue(data.size() <= 2);
      data.forEach(u -> assertTrue(seen.add(((JsonObject) u).getString("id")), "no user twice"));
      cursor = page.bodyAsJsonObject().getString("next_cursor");
      pages++;
    } while (cursor != null);
    long total = app.one("SELECT count(*) AS n FROM users WHERE organization_id = $1", app.organizationId()).getLong("n");
    assertEquals(total, seen.size());
    assertTrue(pages >= 4);
    assertEquals("invalid_cursor", errorCode(call(HttpMethod.GET, "/api/v1/users?cursor=garbage!", null, admin)));
    assertEquals(400, call(HttpMethod.GET, "/api/v1/users?limit=0", null, admin).statusCode());
  }

  @Test
  void channelsAreConnectedByAdminsWithWriteOnlyCredentials() throws InterruptedException {
    var created = call(HttpMethod.POST, "/api/v1/channels", new JsonObject().put("provider", "whatsapp")
        .put("name", "Support line").put("external_id", "400000000000004").put("display_address", "+1 555 0004")
        .put("credentials", new JsonObject().put("app_secret", "s3cret-app").put("verify_token", "v3rify")), admin);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    JsonObject channel = created.bodyAsJsonObject();
    assertFalse(created.bodyAsString().contains("s3cret-app"), "credentials are never returned");
    assertEquals(new JsonArray().add("app_secret").add("verify_token"), channel.getJsonArray("credentials_set"));
    assertEquals("active", channel.getString("status"));
    assertNull(channel.getJsonObject("health").getString("last_inbound_at"));

    // the new channel takes signed webhooks at once, and its health shows it
    String id = channel.getString("id");
    String body = WhatsAppPayloads.messages("400000000000004", "14155558000", "Via API",
        WhatsAppPayloads.textMessage("14155558000", "wamid.channel-api", TestApp.now(), "hello")).encode();
    assertEquals(200, app.post(channel.getString("webhook_path"), Buffer.buffer(body), Fixtures.sign(body, "s3cret-app"))
        .statusCode());
    // health is written at most once a second (ChannelActivity), so it shows within a few seconds
    String lastInbound = null;
    for (int i = 0; i < 50 && lastInbound == null; i++) {
      var read = call(HttpMethod.GET, "/api/v1/channels/" + id, null, agent);
      assertEquals(200, read.statusCode());
      lastInbound = read.bodyAsJsonObject().getJsonObject("health").getString("last_inbound_at");
      if (lastInbound == null) {
        Thread.sleep(100);
      }
    }
    assertNotNull(lastInbound, "last_inbound_at shown within 5 s");

    var updated = call(HttpMethod.PATCH, "/api/v1/channels/" + id, new JsonObject().put("name", "Sales line")
        .put("status", "inactive").put("credentials", new JsonObject().put("access_token", "EAAG-token")), admin);
    assertEquals(200, updated.statusCode(), updated.bodyAsString());
    assertEquals("inactive", updated.bodyAsJsonObject().getString("status"));
    assertEquals(new JsonArray().add("access_token").add("app_secret").add("verify_token"),
        updated.bodyAsJsonObject().getJsonArray("credentials_set"));
    assertEquals("s3cret-app", app.one("SELECT credentials ->> 'app_secret' AS s FROM channels WHERE id = $1::uuid", id)
        .getString("s"), "a partial credentials update keeps the others");
    assertEquals(1, call(HttpMethod.GET, "/api/v1/channels?status=inactive", null, admin)
        .bodyAsJsonObject().getJsonArray("data").size());

    var duplicate = call(HttpMethod.POST, "/api/v1/channels", new JsonObject().put("provider", "whatsapp")
        .put("name", "Again").put("external_id", "400000000000004")
        .put("credentials", new JsonObject().put("app_secret", "a").put("verify_token", "b")), admin);
    assertEquals(409, duplicate.statusCode());
    assertEquals("channel_exists", errorCode(duplicate));
  }

  @Test
  void channelRequestsAreValidatedAndScoped() {
    JsonObject valid = new JsonObject().put("provider", "whatsapp").put("name", "N").put("external_id", "500000000000005")
        .put("credentials", new JsonObject().put("app_secret", "a").put("verify_token", "b"));
    assertEquals(403, call(HttpMethod.POST, "/api/v1/channels", valid, agent).statusCode());
    assertEquals("unknown_provider", errorCode(call(HttpMethod.POST, "/api/v1/channels", valid.copy().put("provider", "pigeon"), admin)));
    assertEquals("missing_credentials", errorCode(call(HttpMethod.POST, "/api/v1/channels",
        valid.copy().put("credentials", new JsonObject().put("app_secret", "a")), admin)));
    assertEquals("invalid_request", errorCode(call(HttpMethod.POST, "/api/v1/channels",
        valid.copy().put("credentials", new JsonObject().put("app_secret", "a").put("verify_token", "b").put("pin", "1")), admin)));
    assertEquals(400, call(HttpMethod.PATCH, "/api/v1/channels/" + TestApp.CHANNEL_ID,
        new JsonObject().put("credentials", new JsonObject().putNull("app_secret")), admin).statusCode());
    assertEquals(400, call(HttpMethod.PATCH, "/api/v1/channels/" + TestApp.CHANNEL_ID,
        new JsonObject().put("status", "paused"), admin).statusCode());

    UUID otherChannel = UUID.randomUUID();
    UUID other = app.createOrganization("Scoped Org", otherChannel, "600000000000006", "scoped-secret");
    app.createUser(other, "admin@scoped.example", "Scoped Admin", "admin", "scoped-password");
    String otherAdmin = app.login("admin@scoped.example", "scoped-password");
    assertEquals(404, call(HttpMethod.GET, "/api/v1/channels/" + TestApp.CHANNEL_ID, null, otherAdmin).statusCode());
    assertEquals(404, call(HttpMethod.PATCH, "/api/v1/channels/" + TestApp.CHANNEL_ID,
        new JsonObject().put("status", "inactive"), otherAdmin).statusCode());
    assertEquals("active", app.one("SELECT status FROM channels WHERE id = $1", TestApp.CHANNEL_ID).getString("status"));
    assertFalse(call(HttpMethod.GET, "/api/v1/channels", null, otherAdmin).bodyAsString().contains(TestApp.CHANNEL_ID.toString()));
    String ourAdmin = app.one("SELECT id FROM users WHERE email = $1", TestApp.ADMIN_EMAIL).getUUID("id").toString();
    assertEquals(404, call(HttpMethod.GET, "/api/v1/users/" + ourAdmin, null, otherAdmin).statusCode());
    assertEquals(404, call(HttpMethod.PATCH, "/api/v1/users/" + ourAdmin, new JsonObject().put("name", "Hijacked"), otherAdmin)
        .statusCode());
    assertEquals(401, call(HttpMethod.GET, "/api/v1/channels", null, null).statusCode());
  }
}

package dev.parley.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the demo gives a newcomer beside the organization: the simulated customer behind the inbox's control (only
 * for the demo organization, only while the simulator runs), canned responses and the simulator's templates.
 */
class DemoRoutesTest {
  private static TestApp app;
  private static String admin;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void aSimulatedCustomerWritesThroughARealWebhook() {
    var described = app.api(HttpMethod.GET, "/api/v1/demo", null, admin);
    assertEquals(200, described.statusCode(), described.bodyAsString());
    assertEquals(TestApp.CHANNEL_ID.toString(), described.bodyAsJsonObject().getString("channel_id"));

    var written = app.postJson("/api/v1/demo/customer_messages",
        new JsonObject().put("text", "Do you ship to Lisbon?").put("wa_id", "351912345678").put("name", "Rui"), admin);
    assertEquals(202, written.statusCode(), written.bodyAsString());
    String wamid = written.bodyAsJsonObject().getString("provider_message_id");
    app.settled(); // the simulator's webhook was acknowledged; its message is projected a moment later
    var stored = app.one("""
        SELECT m.body, m.direction, c.name, c.mobile_number FROM messages m JOIN conversations v ON v.id = m.conversation_id
        JOIN contacts c ON c.id = v.contact_id WHERE m.provider_message_id = $1""", wamid);
    assertEquals("Do you ship to Lisbon?", stored.getString(0));
    assertEquals("inbound", stored.getString(1));
    assertEquals("Rui", stored.getString(2));
    assertEquals("+351912345678", stored.getString(3));

    var byDefault = app.postJson("/api/v1/demo/customer_messages", new JsonObject().put("text", "Hi"), admin);
    assertEquals(202, byDefault.statusCode(), byDefault.bodyAsString());
    assertEquals(DemoRoutes.DEFAULT_WA_ID, byDefault.bodyAsJsonObject().getString("wa_id"));
  }

  @Test
  void badRequestsAndOtherOrganizationsAreRefused() {
    assertEquals(400, app.postJson("/api/v1/demo/customer_messages", new JsonObject(), admin).statusCode());
    assertEquals(400, app.postJson("/api/v1/demo/customer_messages",
        new JsonObject().put("text", "x").put("wa_id", "+44 20"), admin).statusCode());
    UUID other = app.createOrganization("Other", UUID.randomUUID(), "190000000000001", "other-secret");
    app.createUser(other, "someone@other.example", "Someone", "admin", "other-password-1");
    String stranger = app.login("someone@other.example", "other-password-1");
    var refused = app.api(HttpMethod.GET, "/api/v1/demo", null, stranger);
    assertEquals(404, refused.statusCode());
    assertEquals("demo_unavailable", refused.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(404, app.postJson("/api/v1/demo/customer_messages", new JsonObject().put("text", "x"), stranger)
        .statusCode());
  }

  @Test
  void withoutTheSimulatorThereIsNoSimulatedCustomer() {
    try (TestApp bare = TestApp.start(Map.of("PARLEY_SIMULATOR_ENABLED", "false"))) {
      var refused = bare.api(HttpMethod.GET, "/api/v1/demo", null, bare.adminToken());
      assertEquals(404, refused.statusCode());
      assertEquals("demo_unavailable", refused.bodyAsJsonObject().getJsonObject("error").getString("code"));
    }
  }

  @Test
  void theDemoHasCannedResponsesAndTheSimulatorsTemplates() {
    JsonArray canned = app.api(HttpMethod.GET, "/api/v1/canned_responses", null, admin).bodyAsJsonObject()
        .getJsonArray("data");
    assertEquals(List.of("bye", "hello", "shipping"),
        canned.stream().map(item -> ((JsonObject) item).getString("short_code")).toList());
    Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
    List<String> names = List.of();
    while (Instant.now().isBefore(deadline)) {
      names = app.api(HttpMethod.GET, "/api/v1/templates?channel_id=" + TestApp.CHANNEL_ID + "&status=approved", null,
          admin).bodyAsJsonObject().getJsonArray("data").stream().map(t -> ((JsonObject) t).getString("name")).toList();
      if (names.contains("hello_world")) {
        break;
      }
      TestApp.sleep(200);
    }
    assertTrue(names.contains("hello_world"), "templates: " + names);
  }
}

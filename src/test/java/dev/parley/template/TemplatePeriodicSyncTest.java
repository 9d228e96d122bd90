package dev.parley.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatorOptions;
import dev.parley.testing.TestApp;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The periodic template sync with a one-second interval: active WhatsApp channels with an access token and a WABA id
 * follow the provider without anyone asking; channels without them, and inactive ones, are left alone; a channel
 * whose provider calls fail has the failure in its health and does not stop the others.
 */
@Tag("e2e")
class TemplatePeriodicSyncTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static TestApp app;
  private static ProviderSimulator simulator;
  private static String admin;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of("PARLEY_TEMPLATE_SYNC_INTERVAL", "PT1S"));
    admin = app.adminToken();
    simulator = ProviderSimulator.start(app.parley.vertx(), new SimulatorOptions()).await();
  }

  @AfterAll
  static void stop() {
    simulator.close().await();
    app.close();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      TestApp.sleep(100);
    }
  }

  private static String channel(String phoneNumberId, JsonObject credentials, String status) {
    var created = app.postJson("/api/v1/channels", new JsonObject().put("provider", "whatsapp")
        .put("name", "Line " + phoneNumberId).put("external_id", phoneNumberId)
        .put("credentials", credentials.put("app_secret", "s").put("verify_token", "v")), admin);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    String id = created.bodyAsJsonObject().getString("id");
    if (status != null) {
      assertEquals(200, app.api(HttpMethod.PATCH, "/api/v1/channels/" + id, new JsonObject().put("status", status), admin)
          .statusCode());
    }
    return id;
  }

  private static long templates(String channelId) {
    return app.one("SELECT count(*) AS n FROM templates WHERE channel_id = $1::uuid", channelId).getLong("n");
  }

  private static String lastError(String channelId) {
    return app.api(HttpMethod.GET, "/api/v1/channels/" + channelId, null, admin).bodyAsJsonObject()
        .getJsonObject("health").getString("last_error");
  }

  @Test
  void channelsThatCanSyncFollowTheProviderAndTheOthersAreLeftAlone() {
    // the failing channel is created first, so every round meets its failure before the healthy channel
    String failing = channel("640000000000009", new JsonObject().put("access_token", "EAA-unknown")
        .put("waba_id", "340000000000009").put("api_base_url", simulator.baseUrl()), null);
    String waba = "340000000000001";
    String synced = TemplateSyncTest.connect(simulator, app, admin, "640000000000001", "EAAperiodic", waba);
    String noWaba = channel("640000000000002", new JsonObject().put("access_token", "EAAperiodic")
        .put("api_base_url", simulator.baseUrl()), null);
    String inactive = channel("640000000000003", new JsonObject().put("access_token", "EAAperiodic")
        .put("waba_id", waba).put("api_base_url", simulator.baseUrl()), "inactive");

    await("the channel's templates are synced", () -> templates(synced) == 7);
    simulator.setTemplateStatus(waba, "hello_world", "en_US", "PAUSED");
    await("a status change at the provider arrives", () ->
        TemplateSyncTest.listed(app, admin, synced).contains("hello_world/en_US/PAUSED"));
    await("the failure is recorded", () -> lastError(failing) != null);
    assertTrue(lastError(failing).startsWith("template sync: (190)"), lastError(failing));
    assertEquals(0, templates(failing));

    TestApp.sleep(2500); // two more rounds
    assertEquals(0, templates(noWaba), "no WABA id: never synced");
    assertEquals(0, templates(inactive), "inactive: not synced periodically");
    assertEquals(List.of(), app.sql("SELECT channel_id FROM template_syncs WHERE channel_id = ANY($1::uuid[])",
        (Object) new UUID[] {UUID.fromString(noWaba), UUID.fromString(inactive)}), "never claimed");
    assertTrue(lastError(synced) == null, "the healthy channel has no error: " + lastError(synced));
  }
}

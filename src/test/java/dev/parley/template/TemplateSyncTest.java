package dev.parley.template;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.simulator.SimulatorOptions;
import dev.parley.store.TemplateStore;
import dev.parley.testing.TestApp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * On-demand template sync against the provider simulator's {@code GET /{version}/{waba_id}/message_templates}:
 * what is added, changed and removed, every page read, the synced templates used by previews, and a provider
 * failure that changes nothing and shows in the channel's health.
 */
@Tag("e2e")
class TemplateSyncTest {
  private static TestApp app;
  private static ProviderSimulator simulator;
  private static String admin;
  private static String service;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    service = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "sync"), admin).bodyAsJsonObject()
        .getString("key");
    simulator = ProviderSimulator.start(app.parley.vertx(), new SimulatorOptions()).await();
  }

  @AfterAll
  static void stop() {
    simulator.close().await();
    app.close();
  }

  /**
   * A WhatsApp channel connected over REST to a number registered at the simulator under {@code wabaId} (which gets
   * the simulator's seven seed templates unless it has templates already). Answers the channel's id.
   */
  static String connect(ProviderSimulator simulator, TestApp app, String admin, String phoneNumberId, String token,
      String wabaId) {
    var created = app.postJson("/api/v1/channels", new JsonObject().put("provider", "whatsapp")
        .put("name", "Line " + phoneNumberId).put("external_id", phoneNumberId)
        .put("credentials", new JsonObject().put("app_secret", "secret-" + phoneNumberId).put("verify_token", "verify")
            .put("access_token", token).put("waba_id", wabaId).put("api_base_url", simulator.baseUrl())), admin);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    String channelId = created.bodyAsJsonObject().getString("id");
    simulator.registerNumber(SimulatedNumber.of(phoneNumberId, token, "secret-" + phoneNumberId,
        "http://127.0.0.1:" + app.parley.httpPort() + "/webhooks/whatsapp/" + channelId).withWabaId(wabaId));
    return channelId;
  }

  private static JsonObject sync(String channelId, String token) {
    var response = sync(channelId, token, 200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> sync(String channelId, String token, int status) {
    var response = app.postJson("/api/v1/channels/" + channelId + "/templates/sync", new JsonObject(), token);
    assertEquals(status, response.statusCode(), response.bodyAsString());
    return response;
  }

  private static JsonObject counts(int added, int updated, int removed, int unchanged) {
    return new JsonObject().put("added", added).put("updated", updated).put("removed", removed)
        .put("unchanged", unchanged);
  }

  private static JsonObject withoutChannel(JsonObject answer) {
    JsonObject copy = answer.copy();
    copy.remove("channel_id");
    return copy;
  }

  static List<String> listed(TestApp app, String token, String channelId) {
    var response = app.api(HttpMethod.GET, "/api/v1/templates?limit=200&channel_id=" + channelId, null, token);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    List<String> keys = new ArrayList<>();
    response.bodyAsJsonObject().getJsonArray("data").forEach(t -> keys.add(((JsonObject) t).getString("name") + "/"
        + ((JsonObject) t).getString("language") + "/" + ((JsonObject) t).getString("status")));
    return keys;
  }

  private static HttpResponse<Buffer> preview(String channelId, JsonObject template) {
    return app.postJson("/api/v1/templates/preview",
        new JsonObject().put("channel_id", channelId).put("template", template), admin);
  }

  private static JsonObject orderUpdate() {
    return new JsonObject().put("name", "order_update").put("language", new JsonObject().put("code", "en_US"))
        .put("components", new JsonArray()
            .add(new JsonObject().put("type", "body").put("parameters", new JsonArray()
                .add(new JsonObject().put("type", "text").put("text", "Ana"))
                .add(new JsonObject().put("type", "text").put("text", "#1042"))))
            .add(new JsonObject().put("type", "button").put("sub_type", "url").put("index", "0")
                .put("parameters", new JsonArray().add(new JsonObject().put("type", "text").put("text", "1042")))));
  }

  private static JsonObject farewell() {
    return new JsonObject().put("name", "farewell").put("language", "en_GB").put("category", "UTILITY")
        .put("parameter_format", "NAMED").put("components", new JsonArray()
            .add(new JsonObject().put("type", "BODY").put("text", "Goodbye {{customer}}, thanks for visiting.")));
  }

  @Test
  void syncAddsChangesAndRemovesWhatTheProviderLists() {
    String waba = "310000000000001";
    String channel = connect(simulator, app, admin, "610000000000001", "EAAsync-one", waba);
    assertEquals(counts(7, 0, 0, 0).put("channel_id", channel), sync(channel, admin));
    assertEquals(List.of("account_alert/en_US/REJECTED", "appointment_reminder/en_US/APPROVED",
        "appointment_reminder/pt_BR/APPROVED", "hello_world/en_US/APPROVED", "new_collection/en_US/APPROVED",
        "order_update/en_US/APPROVED", "spring_sale/en_US/PENDING"), listed(app, admin, channel));
    var rendered = preview(channel, orderUpdate());
    assertEquals(200, rendered.statusCode(), rendered.bodyAsString());
    assertEquals("Hi Ana, your order #1042 has shipped.", rendered.bodyAsJsonObject().getString("text"));
    assertEquals("https://shop.example.com/track/1042", rendered.bodyAsJsonObject().getJsonObject("preview")
        .getJsonArray("buttons").getJsonObject(0).getString("url"));
    JsonObject springSale = new JsonObject().put("name", "spring_sale").put("language", new JsonObject().put("code", "en_US"))
        .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters", new JsonArray()
            .add(new JsonObject().put("type", "text").put("text", "Ana"))
            .add(new JsonObject().put("type", "text").put("text", "20%")))));
    assertEquals("template_not_approved", errorCode(preview(channel, springSale)));

    assertEquals(counts(0, 0, 0, 7), withoutChannel(sync(channel, admin)), "nothing changed at the provider");

    simulator.setTemplateStatus(waba, "spring_sale", "en_US", "APPROVED");
    simulator.setTemplateStatus(waba, "order_update", "en_US", "PAUSED");
    simulator.addTemplate(waba, farewell());
    assertEquals(counts(1, 2, 0, 5), withoutChannel(sync(channel, service)), "a service may sync too");
    assertEquals("Hi Ana, our spring sale starts tomorrow: 20% off everything.",
        preview(channel, springSale).bodyAsJsonObject().getString("text"));
    assertEquals("template_not_approved", errorCode(preview(channel, orderUpdate())), "paused at the provider");
    JsonObject goodbye = new JsonObject().put("name", "farewell").put("language", new JsonObject().put("code", "en_GB"))
        .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters", new JsonArray()
            .add(new JsonObject().put("type", "text").put("parameter_name", "customer").put("text", "Ana")))));
    assertEquals("Goodbye Ana, thanks for visiting.", preview(channel, goodbye).bodyAsJsonObject().getString("text"));

    // the channel moves to another WABA that lists only one template: the others are removed and cannot be sent
    String otherWaba = "310000000000002";
    simulator.addTemplate(otherWaba, farewell().put("components", new JsonArray()
        .add(new JsonObject().put("type", "BODY").put("text", "Bye {{customer}}!"))));
    simulator.registerNumber(SimulatedNumber.of("610000000000002", "EAAsync-one", "s", "http://127.0.0.1:9/x")
        .withWabaId(otherWaba));
    var moved = app.api(HttpMethod.PATCH, "/api/v1/channels/" + channel,
        new JsonObject().put("credentials", new JsonObject().put("waba_id", otherWaba)), admin);
    assertEquals(200, moved.statusCode(), moved.bodyAsString());
    assertEquals(counts(0, 1, 7, 0), withoutChannel(sync(channel, admin)));
    assertEquals(List.of("farewell/en_GB/APPROVED"), listed(app, admin, channel));
    assertEquals("template_not_found", errorCode(preview(channel, orderUpdate())));
    assertEquals("Bye Ana!", preview(channel, goodbye).bodyAsJsonObject().getString("text"));
  }

  @Test
  void everyPageOfTheProvidersListIsRead() {
    String waba = "320000000000001";
    for (int i = 0; i < 250; i++) {
      simulator.addTemplate(waba, new JsonObject().put("name", String.format("bulk_%03d", i)).put("language", "en_US")
          .put("category", "MARKETING").put("components", new JsonArray()
              .add(new JsonObject().put("type", "BODY").put("text", "Offer " + i + " for {{1}}"))));
    }
    String channel = connect(simulator, app, admin, "620000000000001", "EAAsync-bulk", waba);
    assertEquals(counts(250, 0, 0, 0), withoutChannel(sync(channel, admin)), "several pages");
    var names = app.sql("SELECT name FROM templates WHERE channel_id = $1::uuid ORDER BY name", channel);
    assertEquals(250, names.size());
    assertEquals("bulk_000", names.get(0).getString("name"));
    assertEquals("bulk_249", names.get(249).getString("name"));
  }

  @Test
  void aProviderFailureChangesNothingAndShowsInTheChannelsHealth() {
    String channel = connect(simulator, app, admin, "630000000000001", "EAAsync-three", "330000000000001");
    assertEquals(7, sync(channel, admin).getInteger("added"));
    var revoked = app.api(HttpMethod.PATCH, "/api/v1/channels/" + channel,
        new JsonObject().put("credentials", new JsonObject().put("access_token", "EAA-revoked")), admin);
    assertEquals(200, revoked.statusCode(), revoked.bodyAsString());
    var failed = sync(channel, admin, 502);
    assertEquals("provider_error", errorCode(failed));
    assertTrue(failed.bodyAsJsonObject().getJsonObject("error").getString("message").contains("190"), failed.bodyAsString());
    assertEquals(7, listed(app, admin, channel).size(), "nothing removed");
    JsonObject health = app.api(HttpMethod.GET, "/api/v1/channels/" + channel, null, admin).bodyAsJsonObject()
        .getJsonObject("health");
    assertTrue(health.getString("last_error").startsWith("template sync: (190)"), health.encode());
    assertTrue(health.getString("last_error_at") != null);

    var stripped = app.api(HttpMethod.PATCH, "/api/v1/channels/" + channel,
        new JsonObject().put("credentials", new JsonObject().put("access_token", null)), admin);
    assertEquals(200, stripped.statusCode(), stripped.bodyAsString());
    assertEquals("missing_credentials", errorCode(sync(channel, admin, 400)));
    app.api(HttpMethod.PATCH, "/api/v1/channels/" + channel,
        new JsonObject().put("credentials", new JsonObject().put("access_token", "EAAsync-three")), admin);
    assertEquals(counts(0, 0, 0, 7), withoutChannel(sync(channel, admin)), "works again with the right token");
    assertEquals(404, app.postJson("/api/v1/channels/" + UUID.randomUUID() + "/templates/sync", new JsonObject(), admin)
        .statusCode());
  }

  @Test
  void aDueChannelIsClaimedForThePeriodicSyncByOneCallerOnly() {
    UUID channel = UUID.fromString(connect(simulator, app, admin, "650000000000001", "EAAclaim", "350000000000001"));
    var store = new TemplateStore();
    var first = store.claimDue(app.parley.pool(), "whatsapp", Duration.ofHours(1));
    var second = store.claimDue(app.parley.pool(), "whatsapp", Duration.ofHours(1));
    List<UUID> firstClaimed = first.await();
    List<UUID> secondClaimed = second.await();
    assertTrue(firstClaimed.contains(channel) != secondClaimed.contains(channel),
        "exactly one of two concurrent rounds gets the channel: " + firstClaimed + " " + secondClaimed);
    assertFalse(store.claimDue(app.parley.pool(), "whatsapp", Duration.ofHours(1)).await().contains(channel),
        "not due again within the interval");
    assertTrue(store.claimDue(app.parley.pool(), "whatsapp", Duration.ofMillis(1)).await().contains(channel),
        "due again after it");
    String synced = connect(simulator, app, admin, "650000000000002", "EAAclaim", "350000000000001");
    sync(synced, admin);
    assertFalse(store.claimDue(app.parley.pool(), "whatsapp", Duration.ofHours(1)).await()
        .contains(UUID.fromString(synced)), "a sync on demand counts as the interval's sync");
  }
}

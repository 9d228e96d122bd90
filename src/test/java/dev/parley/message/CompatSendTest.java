package dev.parley.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
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

/** {@code POST /functions/v1/{channel}-send}, as the multi-channel platform's integrations call it. */
@Tag("e2e")
class CompatSendTest {
  private static final String CUSTOMER = "447700900301";
  private static TestApp app;
  private static String key;
  private static String org;
  private static String conversation;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    key = app.apiKey("CRM");
    org = app.organizationId().toString();
    var webhook = app.postSigned(WhatsAppPayloads.text(CUSTOMER, "Kim", "wamid.compat-1", TestApp.now(), "Hi there"));
    assertEquals(200, webhook.statusCode());
    conversation = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = $1", "+" + CUSTOMER).getUUID("id").toString();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static HttpResponse<Buffer> send(String channel, JsonObject body, String header, String credential) {
    var request = app.http.request(HttpMethod.POST, app.parley.httpPort(), "127.0.0.1",
        "/functions/v1/" + channel + "-send").timeout(30_000);
    if (credential != null) {
      request.putHeader(header, header.equals("Authorization") ? "Bearer " + credential : credential);
    }
    return request.sendJsonObject(body).await();
  }

  private static HttpResponse<Buffer> send(String channel, JsonObject body) {
    return send(channel, body, "apikey", key);
  }

  private static JsonObject text(String phone, String message) {
    return new JsonObject().put("phone_number", phone).put("message", message).put("organization_id", org);
  }

  private static void assertPlatformError(HttpResponse<Buffer> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(false, body.getBoolean("success"), body.encode());
    assertEquals(code, body.getJsonObject("error").getString("code"), body.encode());
    assertNotNull(body.getJsonObject("error").getString("message"));
  }

  @Test
  void aTextGoesIntoTheContactsOpenConversationAsAnAutomation() {
    String message = "Your parcel is on its way " + UUID.randomUUID();
    JsonObject body = text("+" + CUSTOMER, message)
        .put("contact_id", app.one("SELECT contact_id FROM conversations WHERE id = $1::uuid", conversation)
            .getUUID("contact_id").toString());
    var response = send("whatsapp", body);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject answer = response.bodyAsJsonObject();
    assertTrue(answer.getBoolean("success"));
    assertEquals("pending", answer.getString("status"));
    assertEquals(conversation, answer.getString("conversation_id"));

    OrgEvent created = app.awaitEvent(Duration.ofSeconds(5), event -> event.type().equals(OrgEvent.MESSAGE_CREATED)
        && answer.getString("message_id").equals(event.data().getString("id")));
    assertEquals(message, created.data().getString("body"));
    assertEquals("automation", created.data().getString("sender_type"));
    assertEquals("outbound", created.data().getString("direction"));
    assertEquals(conversation, created.data().getString("conversation_id"));
  }

  @Test
  void theChannelMayBeNamedByIdOrByThePlatformsNameAndEveryKeyHeaderWorks() {
    for (String channel : new String[] {TestApp.CHANNEL_ID.toString(), "whatsapp_cloud", "WhatsApp"}) {
      var response = send(channel, text("+" + CUSTOMER, "via " + channel));
      assertEquals(200, response.statusCode(), channel + ": " + response.bodyAsString());
    }
    assertEquals(200, send("whatsapp", text("+" + CUSTOMER, "via X-Api-Key"), "X-Api-Key", key).statusCode());
    assertEquals(200, send("whatsapp", text("+" + CUSTOMER, "via Bearer"), "Authorization", key).statusCode());
    assertEquals(5L, app.one("SELECT count(*) AS n FROM messages WHERE conversation_id = $1::uuid AND body LIKE 'via %'",
        conversation).getLong("n"));
  }

  @Test
  void aMediaLinkIsSentWithTheMessageAsItsCaption() {
    var response = send("whatsapp", text("+" + CUSTOMER, "The product photo")
        .put("media_url", "https://example.com/catalog/chair.jpg").put("media_type", "image"));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject stored = app.one("SELECT type, body, content FROM messages WHERE id = $1::uuid",
        response.bodyAsJsonObject().getString("message_id")).toJson();
    assertEquals("image", stored.getString("type"));
    assertEquals("The product photo", stored.getString("body"));
    JsonObject image = stored.getJsonObject("content").getJsonObject("image");
    assertEquals("https://example.com/catalog/chair.jpg", image.getString("link"));
    assertEquals("The product photo", image.getString("caption"));
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "x").put("media_url", "https://example.com/a.pdf")
        .put("media_type", "hologram")), 400, "invalid_request");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "x").put("media_url", "ftp://example.com/a.jpg")
        .put("media_type", "image")), 400, "invalid_request");
  }

  @Test
  void aRetriedCallWithTheSameIdempotencyKeyAnswersTheFirstMessage() {
    String idempotency = "crm-" + UUID.randomUUID();
    String message = "Exactly once " + UUID.randomUUID();
    var request = app.http.request(HttpMethod.POST, app.parley.httpPort(), "127.0.0.1", "/functions/v1/whatsapp-send")
        .putHeader("apikey", key).putHeader("Idempotency-Key", idempotency);
    JsonObject first = request.sendJsonObject(text("+" + CUSTOMER, message)).await().bodyAsJsonObject();
    JsonObject second = request.sendJsonObject(text("+" + CUSTOMER, message)).await().bodyAsJsonObject();
    assertEquals(first.getString("message_id"), second.getString("message_id"));
    assertFalse(first.getBoolean("replayed"));
    assertTrue(second.getBoolean("replayed"));
    assertEquals(1L, app.one("SELECT count(*) AS n FROM messages WHERE body = $1", message).getLong("n"));
  }

  @Test
  void aNewNumberGetsAContactAndConversationButTheRulesStillApply() {
    String number = "+447700900399";
    // a new contact has never written: reactive by default, so nobody may write first
    assertPlatformError(send("whatsapp", text(number, "Hello stranger")), 422, "contact_reactive");
    JsonObject contact = app.one("SELECT id, address ->> 'country' AS country FROM contacts WHERE mobile_number = $1",
        number).toJson();
    assertEquals("GB", contact.getString("country"));
    assertEquals(1L, app.one("SELECT count(*) AS n FROM conversations WHERE contact_id = $1::uuid AND status = 'open'",
        contact.getString("id")).getLong("n"));
    assertTrue(app.events(OrgEvent.CONTACT_CREATED).stream()
        .anyMatch(event -> number.equals(event.data().getString("mobile_number"))));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        + "WHERE c.contact_id = $1::uuid", contact.getString("id")).getLong("n"));
    // a proactive contact outside any window: a text is refused, checked before the provider is called
    app.sql("UPDATE contacts SET preference = 'proactive' WHERE id = $1::uuid", contact.getString("id"));
    assertPlatformError(send("whatsapp", text(number, "Hello again")), 422, "window_closed");
  }

  @Test
  void aClosedConversationIsReopenedForTheMessage() {
    String number = "447700900377";
    app.postSigned(WhatsAppPayloads.text(number, "Lee", "wamid.compat-closed", TestApp.now(), "Thanks, bye"));
    String closed = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = $1", "+" + number).getUUID("id").toString();
    var close = app.postJson("/api/v1/conversations/" + closed + "/close", new JsonObject(), app.adminToken());
    assertEquals(200, close.statusCode(), close.bodyAsString());

    var response = send("whatsapp", text("+" + number, "One more thing"));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(closed, response.bodyAsJsonObject().getString("conversation_id"));
    assertEquals("open", app.one("SELECT status FROM conversations WHERE id = $1::uuid", closed).getString("status"));
    assertEquals(1L, app.one("SELECT count(*) AS n FROM messages WHERE conversation_id = $1::uuid AND direction = 'system' "
        + "AND content ->> 'event' = 'conversation.reopened'", closed).getLong("n"));
  }

  @Test
  void refusalsAnswerInThePlatformsShape() {
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "Hi"), "apikey", null), 401, "unauthorized");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "Hi"), "apikey", "pk_not-a-real-key-0000000000000000"),
        401, "invalid_api_key");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "Hi"), "Authorization", app.adminToken()), 403, "service_only");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "Hi").put("organization_id", UUID.randomUUID().toString())),
        403, "organization_mismatch");
    assertPlatformError(send("whatsapp", text("07700 900301", "Hi")), 400, "invalid_phone_number");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "  ")), 400, "invalid_request");
    assertPlatformError(send("whatsapp", new JsonObject().put("message", "Hi")), 400, "invalid_request");
    assertPlatformError(send("carrier_pigeon", text("+" + CUSTOMER, "Hi")), 400, "invalid_request");
    assertPlatformError(send("telegram", text("+" + CUSTOMER, "Hi")), 404, "channel_not_found");
    assertPlatformError(send(UUID.randomUUID().toString(), text("+" + CUSTOMER, "Hi")), 404, "channel_not_found");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "Hi").put("contact_id", UUID.randomUUID().toString())),
        409, "contact_mismatch");
    assertPlatformError(send("whatsapp", text("+" + CUSTOMER, "x".repeat(4097))), 422, "text_too_long");
    var unknownRoute = app.http.request(HttpMethod.POST, app.parley.httpPort(), "127.0.0.1", "/functions/v1/whatsapp-fly")
        .putHeader("apikey", key).sendJsonObject(new JsonObject()).await();
    assertPlatformError(unknownRoute, 404, "not_found");
    assertEquals(0L, app.one("SELECT count(*) AS n FROM messages WHERE body = 'Hi'").getLong("n"));
  }

  @Test
  void anotherOrganizationsChannelIsNotFound() {
    UUID otherChannel = UUID.randomUUID();
    app.createOrganization("Elsewhere", otherChannel, "109999999999999", "elsewhere-secret");
    assertPlatformError(send(otherChannel.toString(), text("+" + CUSTOMER, "Hi")), 404, "channel_not_found");
  }
}

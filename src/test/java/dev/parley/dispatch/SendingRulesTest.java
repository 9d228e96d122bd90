package dev.parley.dispatch;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Every sending rule refuses before anything is stored or sent, each with its stable code; an accepted message
 * is stored {@code pending} and announced at once; the Idempotency-Key makes retried calls harmless.
 */
@Tag("e2e")
class SendingRulesTest {
  private static TestApp app;
  private static String admin;
  private static String agent;
  private static UUID agentId;
  private static String otherAgent;
  private static String serviceKey;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    agentId = app.createUser(app.organizationId(), "sam@rules.test", "Sam", "agent", "sam-password-1");
    app.createUser(app.organizationId(), "kim@rules.test", "Kim", "agent", "kim-password-1");
    agent = app.login("sam@rules.test", "sam-password-1");
    otherAgent = app.login("kim@rules.test", "kim-password-1");
    serviceKey = app.apiKey("rules automation");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** A conversation opened by a customer's message and assigned to Sam; answers its id. */
  private static UUID conversation(String customer) {
    var response = app.postSigned(WhatsAppPayloads.text(customer, "Customer " + customer, "wamid.in-" + customer,
        TestApp.now(), "Hello, I need help"));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    UUID id = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = $1", "+" + customer).getUUID("id");
    var assigned = app.postJson("/api/v1/conversations/" + id + "/assign",
        new JsonObject().put("user_id", agentId.toString()), admin);
    assertEquals(200, assigned.statusCode(), assigned.bodyAsString());
    return id;
  }

  private static JsonObject text(String body) {
    return new JsonObject().put("type", "text").put("text", new JsonObject().put("body", body));
  }

  private static long outbound(UUID conversation) {
    return app.one("SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND direction = 'outbound'",
        conversation).getLong("n");
  }

  private static void refused(UUID conversation, JsonObject message, String token, int status, String code) {
    long before = outbound(conversation);
    HttpResponse<Buffer> response = app.sendMessage(conversation, message, null, token);
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals(code, errorCode(response), response.bodyAsString());
    assertEquals(before, outbound(conversation), "a refused message is not stored");
  }

  @Test
  void theAssigneeSendsAndTheMessageIsPendingAtOnce() {
    UUID conversation = conversation("447700900001");
    HttpResponse<Buffer> response = app.sendMessage(conversation, text("Hi! *Happy* to help."), null, agent);
    assertEquals(202, response.statusCode(), response.bodyAsString());
    JsonObject message = response.bodyAsJsonObject();
    assertEquals("outbound", message.getString("direction"));
    assertEquals("agent", message.getString("sender_type"));
    assertEquals(agentId.toString(), message.getString("sender_id"));
    assertEquals("Hi! *Happy* to help.", message.getString("body"));
    OrgEvent created = app.awaitEvent(Duration.ofSeconds(5), event -> event.type().equals(OrgEvent.MESSAGE_CREATED)
        && message.getString("id").equals(event.data().getString("id")));
    assertEquals("outbound", created.data().getString("direction"));
    app.awaitEvent(Duration.ofSeconds(5), event -> event.type().equals(OrgEvent.CONVERSATION_UPDATED)
        && conversation.toString().equals(event.data().getString("id"))
        && message.getString("id").equals(event.data().getJsonObject("last_message").getString("id")));
  }

  @Test
  void onlyTheAssigneeMaySendManually() {
    UUID conversation = conversation("447700900002");
    refused(conversation, text("not mine"), otherAgent, 403, "not_owner");
    refused(conversation, text("admins are people too"), admin, 403, "not_owner");
    app.postJson("/api/v1/conversations/" + conversation + "/unassign", new JsonObject(), admin);
    refused(conversation, text("nobody's"), agent, 403, "not_owner");
    // automations may send in any conversation
    var automated = app.sendMessage(conversation, text("Your order shipped"), null, serviceKey);
    assertEquals(202, automated.statusCode(), automated.bodyAsString());
    assertEquals("automation", automated.bodyAsJsonObject().getString("sender_type"));
  }

  @Test
  void aClosedConversationRefusesAndARunningBotBlocksPeopleUntilHandoff() {
    UUID conversation = conversation("447700900003");
    var bot = app.api(HttpMethod.PUT, "/api/v1/conversations/" + conversation + "/bot",
        new JsonObject().put("state", "running").put("bot_name", "Triage"), serviceKey);
    assertEquals(200, bot.statusCode(), bot.bodyAsString());
    refused(conversation, text("let me in"), agent, 409, "bot_running");
    var byBot = app.sendMessage(conversation, text("I am the bot").put("sender_type", "bot"), null, serviceKey);
    assertEquals(202, byBot.statusCode(), byBot.bodyAsString());
    assertEquals("bot", byBot.bodyAsJsonObject().getString("sender_type"));
    assertEquals(200, app.postJson("/api/v1/conversations/" + conversation + "/handoff", new JsonObject(), agent)
        .statusCode());
    assertEquals(202, app.sendMessage(conversation, text("A person now"), null, agent).statusCode());
    assertEquals(200, app.postJson("/api/v1/conversations/" + conversation + "/close", new JsonObject(), agent)
        .statusCode());
    refused(conversation, text("after closing"), agent, 409, "conversation_closed");
    refused(conversation, text("after closing"), serviceKey, 409, "conversation_closed");
  }

  @Test
  void outsideTheServiceWindowOnlyTemplatesAndReactiveContactsAreNeverWrittenFirst() {
    UUID conversation = conversation("447700900004");
    app.sql("UPDATE conversations SET window_expires_at = now() - interval '1 minute' WHERE id = $1", conversation);
    refused(conversation, text("too late"), agent, 422, "window_closed");
    refused(conversation, text("too late for automations too"), serviceKey, 422, "window_closed");

    UUID quiet = conversation("447700900005");
    app.sql("UPDATE conversations SET window_expires_at = NULL WHERE id = $1", quiet);
    app.sql("UPDATE contacts SET preference = 'reactive' WHERE mobile_number = '+447700900005'");
    JsonObject template = new JsonObject().put("type", "template").put("template", new JsonObject()
        .put("name", "hello_world").put("language", new JsonObject().put("code", "en_US")));
    refused(quiet, template, agent, 422, "contact_reactive");
  }

  @Test
  void eachMessageTypesLimitsAreCheckedBeforeStoring() {
    UUID conversation = conversation("447700900006");
    refused(conversation, text("x".repeat(4097)), agent, 422, "text_too_long");
    refused(conversation, text("   "), agent, 422, "empty_message");
    refused(conversation, new JsonObject().put("type", "gif").put("gif", new JsonObject()), agent, 422,
        "message_type_unsupported");
    refused(conversation, new JsonObject().put("text", new JsonObject().put("body", "no type")), agent, 400,
        "invalid_request");
    refused(conversation, media("image", new JsonObject()), agent, 422, "media_missing");
    refused(conversation, media("image", new JsonObject().put("id", "123").put("link", "https://example.com/a.jpg")),
        agent, 422, "one_file_per_message");
    refused(conversation, media("audio", new JsonObject().put("id", "123").put("caption", "listen")), agent, 422,
        "caption_not_allowed");
    refused(conversation, media("sticker", new JsonObject().put("id", "123").put("caption", "hi")), agent, 422,
        "caption_not_allowed");
    refused(conversation, media("image", new JsonObject().put("id", "123").put("caption", "c".repeat(1025))), agent,
        422, "caption_too_long");
    refused(conversation, new JsonObject().put("type", "location").put("location",
        new JsonObject().put("latitude", 91).put("longitude", 0)), agent, 422, "invalid_location");
    refused(conversation, new JsonObject().put("type", "contacts").put("contacts",
        new JsonArray().add(new JsonObject().put("phones", new JsonArray()))), agent, 422, "invalid_contacts");
    refused(conversation, buttons("One", "Two", "Three", "Four"), agent, 422, "interactive_invalid");
    refused(conversation, buttons("A title much longer than twenty"), agent, 422, "interactive_invalid");
    refused(conversation, buttons("Same", "same"), agent, 422, "interactive_invalid");
    refused(conversation, list(11), agent, 422, "interactive_invalid");
    refused(conversation, new JsonObject().put("type", "interactive").put("interactive", new JsonObject()
        .put("type", "cta_url").put("body", new JsonObject().put("text", "See dates"))
        .put("action", new JsonObject().put("name", "cta_url").put("parameters", new JsonObject()
            .put("display_text", "A button text that is too long").put("url", "https://example.com")))),
        agent, 422, "interactive_invalid");
    refused(conversation, text("quoting nothing").put("reply_to", UUID.randomUUID().toString()), agent, 422,
        "reply_target_invalid");
    refused(conversation, reaction(UUID.randomUUID().toString(), "👍"), agent, 422, "reaction_target_invalid");
    String inbound = app.one("SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
        conversation).getUUID("id").toString();
    refused(conversation, reaction(inbound, ""), agent, 422, "reaction_removal_not_allowed");
    // within the limits: three buttons, ten rows, a reaction and a quoted reply are accepted
    assertEquals(202, app.sendMessage(conversation, buttons("Change", "Cancel", "Keep"), null, agent).statusCode());
    assertEquals(202, app.sendMessage(conversation, list(10), null, agent).statusCode());
    assertEquals(202, app.sendMessage(conversation, reaction(inbound, "🙏"), null, agent).statusCode());
    var quoted = app.sendMessage(conversation, text("About that:").put("reply_to", inbound), null, agent);
    assertEquals(202, quoted.statusCode(), quoted.bodyAsString());
    assertEquals("wamid.in-447700900006", quoted.bodyAsJsonObject().getString("reply_to_provider_id"));
  }

  @Test
  void aRetriedCallWithTheSameIdempotencyKeyNeverSendsTwice() {
    UUID conversation = conversation("447700900007");
    JsonObject message = text("Exactly once");
    var first = app.sendMessage(conversation, message, "retry-key-1", agent);
    assertEquals(202, first.statusCode(), first.bodyAsString());
    var again = app.sendMessage(conversation, message, "retry-key-1", agent);
    assertEquals(200, again.statusCode(), again.bodyAsString());
    assertEquals("true", again.getHeader("Idempotent-Replayed"));
    assertEquals(first.bodyAsJsonObject().getString("id"), again.bodyAsJsonObject().getString("id"));
    var different = app.sendMessage(conversation, text("Something else"), "retry-key-1", agent);
    assertEquals(422, different.statusCode(), different.bodyAsString());
    assertEquals("idempotency_key_reused", errorCode(different));

    // the same call ten times at once: one message
    List<Future<HttpResponse<Buffer>>> racing = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      racing.add(app.http.post(app.parley.httpPort(), "127.0.0.1", "/api/v1/conversations/" + conversation + "/messages")
          .putHeader("Authorization", "Bearer " + agent).putHeader("Idempotency-Key", "race-key")
          .sendJsonObject(text("Racing")));
    }
    Set<String> ids = new HashSet<>();
    for (var call : racing) {
      HttpResponse<Buffer> response = call.await();
      assertTrue(response.statusCode() == 200 || response.statusCode() == 202, response.bodyAsString());
      ids.add(response.bodyAsJsonObject().getString("id"));
    }
    assertEquals(1, ids.size(), "every racing call answers the same message");
    assertEquals(1L, app.one("SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND body = 'Racing'",
        conversation).getLong("n"));
  }

  @Test
  void anotherOrganizationCannotSendIntoTheConversation() {
    UUID conversation = conversation("447700900008");
    UUID other = app.createOrganization("Elsewhere Ltd", UUID.randomUUID(), "777000111222", "elsewhere-secret");
    app.createUser(other, "eve@elsewhere.test", "Eve", "admin", "eve-password-1");
    String eve = app.login("eve@elsewhere.test", "eve-password-1");
    refused(conversation, text("crossing over"), eve, 404, "not_found");
  }

  @Test
  void aMessageIsDeletedForTheBusinessOnly() {
    UUID conversation = conversation("447700900009");
    String id = app.sendMessage(conversation, text("Oops, wrong customer"), null, agent).bodyAsJsonObject()
        .getString("id");
    refusedDelete(id, otherAgent, 403, "not_owner");
    var deleted = app.api(HttpMethod.DELETE, "/api/v1/messages/" + id, null, agent);
    assertEquals(200, deleted.statusCode(), deleted.bodyAsString());
    assertTrue(deleted.bodyAsJsonObject().getString("deleted_at") != null);
    assertEquals(null, deleted.bodyAsJsonObject().getString("body"));
    app.awaitEvent(Duration.ofSeconds(5), event -> event.type().equals(OrgEvent.MESSAGE_UPDATED)
        && id.equals(event.data().getString("id")) && event.data().getString("deleted_at") != null);
    String system = app.one("SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'system' LIMIT 1",
        conversation).getUUID("id").toString();
    refusedDelete(system, admin, 422, "message_not_deletable");
    refusedDelete(UUID.randomUUID().toString(), admin, 404, "not_found");
  }

  private static void refusedDelete(String id, String token, int status, String code) {
    var response = app.api(HttpMethod.DELETE, "/api/v1/messages/" + id, null, token);
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals(code, errorCode(response));
  }

  private static JsonObject media(String type, JsonObject part) {
    return new JsonObject().put("type", type).put(type, part);
  }

  private static JsonObject reaction(String target, String emoji) {
    return new JsonObject().put("type", "reaction")
        .put("reaction", new JsonObject().put("message_id", target).put("emoji", emoji));
  }

  private static JsonObject buttons(String... titles) {
    var buttons = new JsonArray();
    for (int i = 0; i < titles.length; i++) {
      buttons.add(new JsonObject().put("type", "reply")
          .put("reply", new JsonObject().put("id", "b" + i).put("title", titles[i])));
    }
    return new JsonObject().put("type", "interactive").put("interactive", new JsonObject().put("type", "button")
        .put("body", new JsonObject().put("text", "Change or cancel?"))
        .put("action", new JsonObject().put("buttons", buttons)));
  }

  private static JsonObject list(int rows) {
    var first = new JsonArray();
    var second = new JsonArray();
    for (int i = 0; i < rows; i++) {
      (i % 2 == 0 ? first : second).add(new JsonObject().put("id", "row-" + i).put("title", "Option " + i));
    }
    return new JsonObject().put("type", "interactive").put("interactive", new JsonObject().put("type", "list")
        .put("body", new JsonObject().put("text", "Choose a shipping option"))
        .put("action", new JsonObject().put("button", "Options").put("sections", new JsonArray()
            .add(new JsonObject().put("title", "Fast").put("rows", first))
            .add(new JsonObject().put("title", "Cheap").put("rows", second)))));
  }
}

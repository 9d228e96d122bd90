package dev.parley.ingest;

import static dev.parley.testing.WhatsAppPayloads.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.store.ConversationCache.CachedState;
import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A signed WhatsApp webhook posted over HTTP, through ingestion and conversation state to PostgreSQL and Redis. */
@Tag("e2e")
class InboundPipelineTest {
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void signedWebhookStoresContactConversationMessageCounterAndWindow() {
    Instant sentAt = TestApp.now().minusSeconds(30);
    JsonObject counts = app.postCounted(text("14155550101", "Ada Lovelace", "wamid.first-101", sentAt, "Hello there"));
    assertEquals(1, counts.getInteger("accepted"), counts.encode());
    assertEquals(1, counts.getInteger("applied"), counts.encode());

    Row contact = app.one("""
        SELECT c.id, c.name, c.mobile_number, c.address ->> 'country' AS country, ci.external_id, ci.profile_name
        FROM contacts c JOIN contact_identities ci ON ci.contact_id = c.id WHERE ci.external_id = '14155550101'""");
    assertEquals("Ada Lovelace", contact.getString("name"));
    assertEquals("+14155550101", contact.getString("mobile_number"));
    assertEquals("US", contact.getString("country"));

    Row conversation = app.one("SELECT * FROM conversations WHERE contact_id = $1", contact.getUUID("id"));
    assertEquals("open", conversation.getString("status"));
    assertEquals(1, conversation.getInteger("unread_count"));
    Instant expiry = conversation.getOffsetDateTime("window_expires_at").toInstant();
    assertEquals(sentAt.plus(Duration.ofHours(24)), expiry, "window = 24 h after the customer's message");

    Row message = app.one("SELECT * FROM messages WHERE provider_message_id = 'wamid.first-101'");
    assertEquals("inbound", message.getString("direction"));
    assertEquals("text", message.getString("type"));
    assertEquals("Hello there", message.getString("body"));
    assertEquals(sentAt, message.getOffsetDateTime("sent_at").toInstant(), "provider time, not arrival time");
    assertEquals(conversation.getUUID("id"), message.getUUID("conversation_id"));

    UUID conversationId = conversation.getUUID("id");
    CachedState cached = app.cache().get(app.organizationId(), List.of(conversationId)).await().get(conversationId);
    assertNotNull(cached, "Redis holds the conversation's state");
    assertEquals(1, cached.unreadCount());
    assertEquals(expiry, cached.windowExpiresAt());

    OrgEvent created = app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_CREATED)
        && "wamid.first-101".equals(e.data().getString("provider_message_id")));
    assertEquals(app.organizationId(), created.organizationId());
    assertEquals(message.getUUID("id").toString(), created.data().getString("id"));
    OrgEvent conversationCreated = app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONVERSATION_CREATED)
        && e.data().getString("id").equals(conversationId.toString()));
    JsonObject row = conversationCreated.data();
    assertEquals(1, row.getInteger("unread_count"));
    assertEquals("Ada Lovelace", row.getJsonObject("contact").getString("name"));
    assertEquals("Hello there", row.getJsonObject("last_message").getString("body"));
    assertEquals(expiry.toString(), row.getString("window_expires_at"));
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_CREATED)
        && "+14155550101".equals(e.data().getString("mobile_number")));
  }

  @Test
  void redeliveredWebhookIsAcknowledgedAndChangesNothing() {
    String body = text("14155550102", "Grace Hopper", "wamid.retry-102", TestApp.now(), "Are you open today?");
    assertEquals(200, app.postSigned(body).statusCode());
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_CREATED)
        && "wamid.retry-102".equals(e.data().getString("provider_message_id")));
    int eventsBefore = app.events.size();

    JsonObject again = app.postCounted(body);
    assertEquals(1, again.getInteger("accepted"), "acknowledged again");
    assertEquals(1, again.getInteger("duplicates"), again.encode());
    assertEquals(0, again.getInteger("applied"), again.encode());

    assertEquals(1, app.sql("SELECT 1 FROM messages WHERE provider_message_id = 'wamid.retry-102'").size());
    assertEquals(1, app.one("""
        SELECT unread_count FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id
        WHERE ci.external_id = '14155550102'""").getInteger("unread_count"));
    TestApp.sleep(200);
    assertEquals(eventsBefore, app.events.size(), "a duplicate publishes nothing");
  }

  @Test
  void nextMessageCountsAndPushesTheWindowOut() {
    Instant first = TestApp.now().minusSeconds(600);
    Instant second = TestApp.now().minusSeconds(5);
    app.postSigned(text("14155550103", "Alan", "wamid.n1-103", first, "one"));
    app.postSigned(text("14155550103", "Alan", "wamid.n2-103", second, "two"));
    Row conversation = app.one("""
        SELECT c.* FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id
        WHERE ci.external_id = '14155550103'""");
    assertEquals(2, conversation.getInteger("unread_count"));
    assertEquals(second.plus(Duration.ofHours(24)), conversation.getOffsetDateTime("window_expires_at").toInstant());

    // an older message delivered late neither becomes the last message nor pulls the window back
    app.postSigned(text("14155550103", "Alan", "wamid.n0-103", first.minusSeconds(60), "zero"));
    Row after = app.one("SELECT * FROM conversations WHERE id = $1", conversation.getUUID("id"));
    assertEquals(3, after.getInteger("unread_count"));
    assertEquals(conversation.getUUID("last_message_id"), after.getUUID("last_message_id"));
    assertEquals(second.plus(Duration.ofHours(24)), after.getOffsetDateTime("window_expires_at").toInstant());
  }

  @Test
  void messageToClosedConversationReopensItWithASystemMessage() {
    app.postSigned(text("14155550104", "Barbara", "wamid.c1-104", TestApp.now().minusSeconds(60), "first"));
    UUID conversation = app.one("""
        SELECT c.id FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id
        WHERE ci.external_id = '14155550104'""").getUUID("id");
    app.sql("UPDATE conversations SET status = 'closed' WHERE id = $1", conversation);

    assertEquals(200, app.postSigned(text("14155550104", "Barbara", "wamid.c2-104", TestApp.now(), "back again")).statusCode());
    Row row = app.one("SELECT status, unread_count FROM conversations WHERE id = $1", conversation);
    assertEquals("open", row.getString("status"));
    assertEquals(2, row.getInteger("unread_count"));
    Row system = app.one("SELECT * FROM messages WHERE conversation_id = $1 AND direction = 'system'", conversation);
    assertEquals("conversation.reopened", ((JsonObject) system.getValue("content")).getString("event"));
    assertEquals(1, app.sql("SELECT 1 FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id "
        + "WHERE ci.external_id = '14155550104'").size(), "the same conversation, not a new one");
  }

  @Test
  void subscriptionHandshakeEchoesTheChallengeOnlyForTheRightToken() {
    var ok = app.get(app.webhookPath() + "?hub.mode=subscribe&hub.verify_token=" + TestApp.VERIFY_TOKEN
        + "&hub.challenge=1158201444");
    assertEquals(200, ok.statusCode());
    assertEquals("1158201444", ok.bodyAsString());

    var wrong = app.get(app.webhookPath() + "?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1");
    assertEquals(403, wrong.statusCode());
    assertEquals("verification_failed", TestApp.json(wrong).getJsonObject("error").getString("code"));
    assertEquals(403, app.get(app.webhookPath() + "?hub.verify_token=" + TestApp.VERIFY_TOKEN + "&hub.challenge=1")
        .statusCode(), "hub.mode must be subscribe");
    assertEquals(404, app.get("/webhooks/whatsapp/" + UUID.randomUUID()
        + "?hub.mode=subscribe&hub.verify_token=" + TestApp.VERIFY_TOKEN + "&hub.challenge=1").statusCode());
  }

  @Test
  void badInputGetsAClearErrorAndStoresNothing() {
    String body = text("14155550105", "Eve", "wamid.bad-105", TestApp.now(), "sneaky");
    assertError(401, "invalid_signature", app.post(app.webhookPath(), Buffer.buffer(body), null));
    assertError(401, "invalid_signature",
        app.post(app.webhookPath(), Buffer.buffer(body), Fixtures.sign(body, "some-other-secret")));
    assertError(401, "invalid_signature", app.post(app.webhookPath(), Buffer.buffer(body), "sha256=zz"));
    assertError(401, "invalid_signature", app.post(app.webhookPath(), Buffer.buffer(body + " "),
        Fixtures.sign(body, TestApp.APP_SECRET)));
    assertEquals(0, app.sql("SELECT 1 FROM messages WHERE provider_message_id = 'wamid.bad-105'").size());

    assertError(400, "malformed_payload", app.postSigned("{\"object\": \"whatsapp_business_account\", \"entry\": ["));
    assertError(400, "malformed_payload", app.postSigned("[1, 2, 3]"));
    assertError(400, "malformed_payload", app.postSigned("{\"object\":\"page\",\"entry\":[]}"));
    assertError(400, "malformed_payload", app.postSigned(
        body.replace("\"timestamp\":\"" , "\"timestamp\":\"yesterday")));

    // PostgreSQL cannot store U+0000; it must be refused as malformed, not fail the transaction (503 forever)
    assertError(400, "malformed_payload", app.postSigned(text("14155550105", "Eve", "wamid.nul-105", TestApp.now(), "a\u0000b")));
    assertError(400, "malformed_payload", app.postSigned(text("14155550105", "Eve", "wamid." + "x".repeat(300), TestApp.now(), "id")));
    assertError(400, "malformed_payload", app.postSigned(
        body.replace("\"timestamp\":\"", "\"timestamp\":\"99999999999999")));

    String huge = "{\"object\":\"whatsapp_business_account\",\"pad\":\"" + "x".repeat(3 * 1024 * 1024) + "\"}";
    assertError(413, "payload_too_large", app.postSigned(huge));

    assertError(404, "unknown_channel", app.post("/webhooks/whatsapp/" + UUID.randomUUID(), Buffer.buffer(body),
        Fixtures.sign(body, TestApp.APP_SECRET)));
    assertError(404, "unknown_channel", app.post("/webhooks/whatsapp/not-a-uuid", Buffer.buffer(body),
        Fixtures.sign(body, TestApp.APP_SECRET)));
    assertError(404, "unknown_channel", app.post("/webhooks/carrier-pigeon/" + TestApp.CHANNEL_ID,
        Buffer.buffer(body), Fixtures.sign(body, TestApp.APP_SECRET)));

    assertEquals(200, app.postSigned(body).statusCode(), "the server keeps serving after bad input");
  }

  @Test
  void eventsForAccountsTheOrganizationDoesNotOwnAreSkippedNeverMisfiled() {
    UUID organization = app.organizationId();
    UUID otherChannel = UUID.randomUUID();
    app.sql("INSERT INTO channels (id, organization_id, provider, name, external_id, credentials) "
        + "VALUES ($1, $2, 'whatsapp', 'Second number', '200000000000002', '{}')", otherChannel, organization);
    UUID foreignOrg = UUID.randomUUID();
    app.sql("INSERT INTO organizations (id, name) VALUES ($1, 'Someone else')", foreignOrg);
    app.sql("INSERT INTO channels (id, organization_id, provider, name, external_id, credentials) "
        + "VALUES ($1, $2, 'whatsapp', 'Foreign', '300000000000003', '{}')", UUID.randomUUID(), foreignOrg);

    var mine = WhatsAppPayloads.messages("200000000000002", "14155550106", "Routed",
        WhatsAppPayloads.textMessage("14155550106", "wamid.route-mine", TestApp.now(), "to the second number"));
    assertEquals(200, app.postSigned(mine.encode()).statusCode());
    assertEquals(otherChannel, app.one("SELECT channel_id FROM messages WHERE provider_message_id = 'wamid.route-mine'")
        .getUUID("channel_id"));

    for (String foreign : List.of("300000000000003", "999999999999999")) {
      var body = WhatsAppPayloads.messages(foreign, "14155550107", "Stray",
          WhatsAppPayloads.textMessage("14155550107", "wamid.route-" + foreign, TestApp.now(), "not yours"));
      assertEquals(200, app.postSigned(body.encode()).statusCode(), "acknowledged so the provider stops retrying");
      assertEquals(0, app.sql("SELECT 1 FROM messages WHERE provider_message_id = $1", "wamid.route-" + foreign).size());
    }
  }

  @Test
  void storeDownAnswers503AndTheServerRecovers() {
    String body = text("14155550108", "Outage", "wamid.down-108", TestApp.now(), "anyone there?");
    TestApp.sleep(5_100); // let the channel lookup cache expire so both lookup and write hit the store
    app.sql("SELECT 1"); // pool is warm
    try {
      org.junit.jupiter.api.Assertions.assertDoesNotThrow(() -> dev.parley.testing.TestServers.admin(
          "ALTER DATABASE \"" + app.database + "\" ALLOW_CONNECTIONS false"));
      dev.parley.testing.TestServers.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
          + app.database + "'");
      assertError(503, "store_unavailable", app.postSigned(body));
      assertEquals(503, app.get("/health/ready").statusCode());
      assertEquals(200, app.get("/health/live").statusCode());
    } finally {
      dev.parley.testing.TestServers.admin("ALTER DATABASE \"" + app.database + "\" ALLOW_CONNECTIONS true");
    }
    assertEquals(200, app.postSigned(body).statusCode(), "the provider's retry succeeds");
    assertEquals(200, app.get("/health/ready").statusCode());
    assertEquals(1, app.sql("SELECT 1 FROM messages WHERE provider_message_id = 'wamid.down-108'").size());
  }

  @Test
  void metricsCountWebhooksByProviderAndOutcome() {
    app.postSigned(text("14155550109", "Metric", "wamid.metric-109", TestApp.now(), "count me"));
    String metrics = app.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("parley_webhook_seconds_count{outcome=\"accepted\",provider=\"whatsapp\"}"), metrics);
    assertTrue(metrics.contains("jvm_memory_used_bytes"));
    assertTrue(metrics.contains("vertx_http_server_requests_total"));
    assertTrue(metrics.contains("vertx_pool_in_use"), "Vert.x pool metrics");
    assertTrue(metrics.contains("vertx_sql_processing_time_seconds_count"), "PostgreSQL client metrics");
  }

  private static void assertError(int status, String code, io.vertx.ext.web.client.HttpResponse<Buffer> response) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals(code, error.getString("code"));
    assertNotNull(error.getString("message"));
    assertNull(response.bodyAsJsonObject().getValue("applied"));
  }
}

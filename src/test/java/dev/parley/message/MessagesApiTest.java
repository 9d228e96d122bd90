package dev.parley.message;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Message history, organization-wide search, streamed export and the {@code /rest/v1/messages} compatibility route. */
@Tag("e2e")
class MessagesApiTest {
  private static final String CUSTOMER = "447700111222";
  private static final String OTHER_CUSTOMER = "447700111333";
  private static TestApp app;
  private static String admin;
  private static String conversation;
  private static String otherConversation;
  private static Instant base;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    base = TestApp.now().minusSeconds(3600);
    // a thread: three customer messages, one quoting the first, a reaction, and a reply from the business
    send(WhatsAppPayloads.text(CUSTOMER, "Quinn", "wamid.hist-1", base, "Where is my invoice for March?"));
    send(WhatsAppPayloads.text(CUSTOMER, "Quinn", "wamid.hist-2", base.plusSeconds(10), "Also the delivery address changed"));
    JsonObject quoting = WhatsAppPayloads.textMessage(CUSTOMER, "wamid.hist-3", base.plusSeconds(20), "Any news?")
        .put("context", new JsonObject().put("from", CUSTOMER).put("id", "wamid.hist-1"));
    send(WhatsAppPayloads.messages(TestApp.PHONE_NUMBER_ID, CUSTOMER, "Quinn", quoting).encode());
    send(WhatsAppPayloads.reaction(CUSTOMER, "wamid.hist-react", base.plusSeconds(25), "wamid.hist-2", "👍"));
    conversation = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = $1", "+" + CUSTOMER).getUUID("id").toString();
    // an outbound reply as the dispatcher records it, then its statuses from the provider
    app.sql("INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, "
            + "provider_message_id, sender_type, status, sent_at) VALUES ($1, $2, $3::uuid, $4, 'outbound', 'text', "
            + "'Your invoice is attached', 'wamid.hist-out', 'agent', 'sent', $5)",
        UUID.randomUUID(), app.organizationId(), conversation, TestApp.CHANNEL_ID,
        base.plusSeconds(30).atOffset(java.time.ZoneOffset.UTC));
    send(WhatsAppPayloads.status("wamid.hist-out", "delivered", base.plusSeconds(31), CUSTOMER));
    send(WhatsAppPayloads.status("wamid.hist-out", "read", base.plusSeconds(32), CUSTOMER));
    send(WhatsAppPayloads.text(OTHER_CUSTOMER, "Robin", "wamid.other-1", base.plusSeconds(40), "Invoice please"));
    otherConversation = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = $1", "+" + OTHER_CUSTOMER).getUUID("id").toString();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static void send(String body) {
    var response = app.postSigned(body);
    assertEquals(200, response.statusCode(), response.bodyAsString());
  }

  private static JsonObject get(String path) {
    var response = app.api(HttpMethod.GET, path, null, admin);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static List<String> bodies(JsonArray rows) {
    List<String> bodies = new ArrayList<>();
    rows.forEach(row -> bodies.add(((JsonObject) row).getString("body")));
    return bodies;
  }

  @Test
  void historyIsNewestFirstWithReactionsQuotesAndStatusHistory() {
    String path = "/api/v1/conversations/" + conversation + "/messages?limit=2";
    JsonObject first = get(path);
    assertEquals(List.of("Your invoice is attached", "Any news?"), bodies(first.getJsonArray("data")));
    JsonObject outbound = first.getJsonArray("data").getJsonObject(0);
    assertEquals("read", outbound.getString("status"));
    JsonArray history = outbound.getJsonArray("status_history");
    assertEquals(2, history.size());
    assertEquals("delivered", history.getJsonObject(0).getString("status"));
    assertEquals(base.plusSeconds(31).toString(), history.getJsonObject(0).getString("timestamp"));
    assertEquals("read", history.getJsonObject(1).getString("status"));
    JsonObject quote = first.getJsonArray("data").getJsonObject(1).getJsonObject("reply_to");
    assertNotNull(quote, "the quoted message is resolved");
    assertEquals("Where is my invoice for March?", quote.getString("body"));

    JsonObject second = get(path + "&cursor=" + first.getString("next_cursor"));
    assertEquals(List.of("Also the delivery address changed", "Where is my invoice for March?"),
        bodies(second.getJsonArray("data")));
    assertEquals("👍", second.getJsonArray("data").getJsonObject(0).getJsonObject("reactions").getString("customer"));
    assertNull(second.getJsonArray("data").getJsonObject(1).getValue("reply_to"));
    assertNull(second.getValue("next_cursor"));
  }

  @Test
  void anAcknowledgedMessageIsFoundBySearchWithinTheProjectionLag() {
    String body = WhatsAppPayloads.text("447700900777", "Lag", "wamid.search-lag", TestApp.now(), "parcel zanzibar lag");
    // answered as soon as the webhook is in the inbound log: no waiting for the projection here
    var response = app.postOnly(app.webhookPath(), io.vertx.core.buffer.Buffer.buffer(body),
        dev.parley.testing.Fixtures.sign(body, TestApp.APP_SECRET));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    long acknowledged = System.nanoTime();
    long deadline = acknowledged + Duration.ofSeconds(2).toNanos(); // documented: the projection's lag, ms below capacity
    List<String> found = List.of();
    while (found.isEmpty() && System.nanoTime() < deadline) {
      found = bodies(get("/api/v1/messages?q=zanzibar").getJsonArray("data"));
      if (found.isEmpty()) {
        TestApp.sleep(5);
      }
    }
    assertEquals(List.of("parcel zanzibar lag"), found, "searchable once projected, within 2 s of the acknowledgement");
  }

  @Test
  void searchFindsWordsAcrossTheOrganizationAndFilters() {
    assertEquals(List.of("Invoice please", "Your invoice is attached", "Where is my invoice for March?"),
        bodies(get("/api/v1/messages?q=invoice").getJsonArray("data")), "full-text, any case, newest first");
    assertEquals(List.of("Where is my invoice for March?"),
        bodies(get("/api/v1/messages?q=invoice%20march").getJsonArray("data")), "every word must match");
    assertEquals(List.of("Invoice please"),
        bodies(get("/api/v1/messages?q=invoice&conversation_id=" + otherConversation).getJsonArray("data")));
    String contact = app.one("SELECT id FROM contacts WHERE mobile_number = $1", "+" + CUSTOMER).getUUID("id").toString();
    assertEquals(List.of("Your invoice is attached", "Where is my invoice for March?"),
        bodies(get("/api/v1/messages?q=invoice&contact_id=" + contact).getJsonArray("data")));
    assertEquals(List.of("Your invoice is attached"),
        bodies(get("/api/v1/messages?q=invoice&direction=outbound").getJsonArray("data")));
    assertEquals(List.of("Your invoice is attached"),
        bodies(get("/api/v1/messages?status=read&channel_id=" + TestApp.CHANNEL_ID).getJsonArray("data")));
    assertEquals(List.of("Invoice please"), bodies(get("/api/v1/messages?q=invoice&from="
        + base.plusSeconds(35) + "&to=" + base.plusSeconds(45)).getJsonArray("data")));
    assertEquals(0, get("/api/v1/messages?q=invoice&channel_id=" + UUID.randomUUID()).getJsonArray("data").size());
    JsonObject paged = get("/api/v1/messages?contact_id=" + contact + "&limit=3");
    assertEquals(3, paged.getJsonArray("data").size());
    assertEquals(1, get("/api/v1/messages?contact_id=" + contact + "&limit=3&cursor=" + paged.getString("next_cursor"))
        .getJsonArray("data").size());
    for (String bad : List.of("direction=sideways", "status=lost", "from=yesterday", "contact_id=42",
        "from=2026-02-01&to=2026-01-01", "q=")) {
      var response = app.api(HttpMethod.GET, "/api/v1/messages?" + bad, null, admin);
      assertEquals(400, response.statusCode(), bad + ": " + response.bodyAsString());
    }
  }

  @Test
  void exportStreamsCsvAndJsonLinesOfTheFilteredSet() throws Exception {
    var csv = app.api(HttpMethod.GET, "/api/v1/messages/export?format=csv&conversation_id=" + conversation, null, admin);
    assertEquals(200, csv.statusCode(), csv.bodyAsString());
    assertEquals("chunked", csv.getHeader("transfer-encoding"), "streamed, not buffered");
    assertTrue(csv.getHeader("content-type").startsWith("text/csv"));
    List<CSVRecord> records = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get()
        .parse(new StringReader(csv.bodyAsString())).getRecords();
    assertEquals(4, records.size(), "three customer messages and the reply (a reaction is not a message)");
    assertEquals("Your invoice is attached", records.get(0).get("body"));
    assertEquals("outbound", records.get(0).get("direction"));
    assertEquals(conversation, records.get(0).get("conversation_id"));

    var lines = app.api(HttpMethod.GET, "/api/v1/messages/export?format=jsonl&q=invoice", null, admin);
    assertEquals(200, lines.statusCode());
    String[] rows = lines.bodyAsString().split("\n");
    assertEquals(3, rows.length);
    assertEquals("Invoice please", new JsonObject(rows[0]).getString("body"));
    assertNotNull(new JsonObject(rows[0]).getString("contact_id"));

    assertEquals(400, app.api(HttpMethod.GET, "/api/v1/messages/export?format=xml", null, admin).statusCode());
    assertEquals(401, app.api(HttpMethod.GET, "/api/v1/messages/export", null, null).statusCode());
  }

  @Test
  void anotherOrganizationSeesNoneOfTheseMessages() {
    UUID other = app.createOrganization("Elsewhere", UUID.randomUUID(), "500000000000005", "elsewhere-secret");
    app.createUser(other, "admin@elsewhere.test", "Elsewhere Admin", "admin", "elsewhere-password");
    String stranger = app.login("admin@elsewhere.test", "elsewhere-password");
    assertEquals(404, app.api(HttpMethod.GET, "/api/v1/conversations/" + conversation + "/messages", null, stranger)
        .statusCode());
    assertEquals(0, app.api(HttpMethod.GET, "/api/v1/messages?conversation_id=" + conversation, null, stranger)
        .bodyAsJsonObject().getJsonArray("data").size());
    var export = app.api(HttpMethod.GET, "/api/v1/messages/export?format=jsonl&conversation_id=" + conversation, null,
        stranger);
    assertEquals(200, export.statusCode());
    assertEquals("", export.bodyAsString() == null ? "" : export.bodyAsString());
    assertEquals(0, app.api(HttpMethod.GET, "/rest/v1/messages?conversation_id=" + conversation, null, stranger)
        .bodyAsJsonArray().size());
  }

  @Test
  void theCompatibilityRouteFiltersLikeThePlatformsEndpoint() {
    String key = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "Integration"), admin)
        .bodyAsJsonObject().getString("key");
    HttpResponse<Buffer> response = app.http.get(app.parley.httpPort(), "127.0.0.1",
            "/rest/v1/messages?conversation_id=eq." + conversation + "&direction=INBOUND")
        .putHeader("apikey", key).send().await();
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonArray rows = response.bodyAsJsonArray();
    assertEquals(List.of("Any news?", "Also the delivery address changed", "Where is my invoice for March?"), bodies(rows));
    JsonArray outbound = app.api(HttpMethod.GET, "/rest/v1/messages?channel=whatsapp&direction=outbound&status=READ",
        null, admin).bodyAsJsonArray();
    assertEquals(List.of("Your invoice is attached"), bodies(outbound));
    assertEquals(1, app.api(HttpMethod.GET, "/rest/v1/messages?limit=1&offset=1", null, admin).bodyAsJsonArray().size());
    assertEquals(400, app.api(HttpMethod.GET, "/rest/v1/messages?direction=up", null, admin).statusCode());
    assertEquals(400, app.api(HttpMethod.GET, "/rest/v1/messages?channel=pigeon", null, admin).statusCode());
    assertEquals(401, app.api(HttpMethod.GET, "/rest/v1/messages", null, null).statusCode());
  }
}

package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The edge checks of every request: text PostgreSQL cannot store (NUL, lone surrogates) is refused with a 400
 * naming the field wherever it comes in, and every JSON body is checked against its OpenAPI schema before any
 * domain code runs. Bodies are written by hand: a JSON encoder would not write a lone surrogate.
 */
@Tag("e2e")
class RequestChecksTest {
  private static final String NUL = "\\u0000";
  private static final String SURROGATE = "\\ud800";
  private static TestApp app;
  private static String admin;
  private static String conversation;
  private static String contact;
  private static String message;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    assertEquals(200, app.postSigned(WhatsAppPayloads.text("447700900123", "Ada", "wamid.checks-1",
        TestApp.now().minusSeconds(60), "hello")).statusCode());
    var row = app.one("SELECT cv.id, cv.contact_id, m.id AS message FROM conversations cv "
        + "JOIN messages m ON m.conversation_id = cv.id WHERE m.provider_message_id = 'wamid.checks-1'");
    conversation = row.getUUID("id").toString();
    contact = row.getUUID("contact_id").toString();
    message = row.getUUID("message").toString();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void unstorableTextInABodyIsRefusedNamingTheField() {
    String[][] cases = {
        {"POST", "/api/v1/conversations/" + conversation + "/messages", "{\"type\":\"text\",\"text\":{\"body\":\"a%sb\"}}", "text.body"},
        {"POST", "/api/v1/conversations/" + conversation + "/notes", "{\"body\":\"a%sb\"}", "body"},
        {"POST", "/api/v1/contacts/" + contact + "/notes", "{\"body\":\"a%sb\"}", "body"},
        {"POST", "/api/v1/contacts", "{\"name\":\"Ad%sa\",\"email\":\"ada@example.com\"}", "name"},
        {"PATCH", "/api/v1/contacts/" + contact, "{\"name\":\"Ad%sa\"}", "name"},
        {"POST", "/api/v1/contacts/" + contact + "/labels", "{\"labels\":[\"vip\",\"x%s\"]}", "labels[1]"},
        {"POST", "/api/v1/conversations/" + conversation + "/labels", "{\"labels\":[\"x%s\"]}", "labels[0]"},
        {"POST", "/api/v1/canned_responses", "{\"short_code\":\"hi\",\"title\":\"T%s\",\"body\":\"Hello\"}", "title"},
    };
    for (String[] c : cases) {
      for (String bad : new String[] {NUL, SURROGATE}) {
        var response = raw(HttpMethod.valueOf(c[0]), c[1], c[2].formatted(bad));
        String what = c[0] + " " + c[1] + " with " + bad + ": " + response.bodyAsString();
        assertEquals(400, response.statusCode(), what);
        assertEquals("invalid_text", TestApp.errorCode(response), what);
        assertTrue(response.bodyAsJsonObject().getJsonObject("error").getString("message").startsWith(c[3] + " contains"),
            what);
      }
    }
    // nothing reached the store: no note, no label, no contact, no message with the bad text
    assertEquals(0L, app.one("SELECT count(*) AS n FROM messages WHERE direction = 'outbound'").getLong("n"));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM contacts WHERE name LIKE 'Ad%a' AND name <> 'Ada'").getLong("n"));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM canned_responses WHERE short_code = 'hi'").getLong("n"));
  }

  @Test
  void unstorableTextInQueryParametersAndPathsIsRefused() {
    for (String path : new String[] {"/api/v1/messages?q=%00", "/api/v1/conversations?q=a%00b",
        "/api/v1/contacts?q=%00", "/api/v1/messages?q=%ED%A0%80x%00", "/rest/v1/messages?q=%00",
        "/api/v1/contacts/" + contact + "/labels/%00"}) {
      var response = app.api(path.contains("/labels/") ? HttpMethod.DELETE : HttpMethod.GET, path, null, admin);
      assertEquals(400, response.statusCode(), path + ": " + response.bodyAsString());
      assertEquals("invalid_text", TestApp.errorCode(response), path);
    }
    var named = app.api(HttpMethod.GET, "/api/v1/messages?q=%00", null, admin);
    assertEquals("the query parameter q contains a NUL character, which cannot be stored",
        named.bodyAsJsonObject().getJsonObject("error").getString("message"));
  }

  @Test
  void everyBodyIsCheckedAgainstItsSchemaBeforeDomainCode() {
    String forward = "/api/v1/messages/" + message + "/forward";
    for (String body : new String[] {"{}", "null", "", "[]", "{\"conversation_id\":null}", "{\"conversation_id\":7}"}) {
      var response = raw(HttpMethod.POST, forward, body);
      assertEquals(400, response.statusCode(), "forward " + body + ": " + response.bodyAsString());
      assertEquals("invalid_request", TestApp.errorCode(response), body);
    }
    var missing = raw(HttpMethod.POST, forward, "{}");
    assertTrue(missing.bodyAsJsonObject().getJsonObject("error").getString("message").contains("conversation_id"),
        missing.bodyAsString());
    var wrongType = raw(HttpMethod.POST, "/api/v1/conversations/" + conversation + "/messages",
        "{\"type\":\"text\",\"text\":{\"body\":42}}");
    assertEquals(400, wrongType.statusCode(), wrongType.bodyAsString());
    assertTrue(wrongType.bodyAsJsonObject().getJsonObject("error").getString("message").startsWith("text.body:"),
        wrongType.bodyAsString());
    var notJson = raw(HttpMethod.POST, "/api/v1/conversations/" + conversation + "/notes", "{\"body\":");
    assertEquals(400, notJson.statusCode(), notJson.bodyAsString());
    // the platform's send route answers in its own shape
    var platform = raw(HttpMethod.POST, "/functions/v1/whatsapp-send", "{\"to\":5}");
    assertEquals(400, platform.statusCode(), platform.bodyAsString());
    assertEquals(false, platform.bodyAsJsonObject().getBoolean("success"), platform.bodyAsString());
    // a valid body still goes through
    var note = raw(HttpMethod.POST, "/api/v1/conversations/" + conversation + "/notes", "{\"body\":\"call back\"}");
    assertEquals(201, note.statusCode(), note.bodyAsString());
  }

  @Test
  void webhookTextIsCheckedByTheSameRule() {
    String body = WhatsAppPayloads.text("447700900124", "Bo", "wamid.checks-surrogate", TestApp.now(), "x")
        .replace("\"x\"", "\"" + SURROGATE + "\"");
    var response = app.postSigned(body);
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertEquals("malformed_payload", TestApp.errorCode(response));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM messages WHERE provider_message_id = 'wamid.checks-surrogate'")
        .getLong("n"));
  }

  @Test
  void aWebhookWithoutATimeIsStoredAtTheTimeItArrived() {
    Instant before = Instant.now().minusSeconds(1);
    for (String id : new String[] {"wamid.checks-zero", "wamid.checks-none"}) {
      JsonObject text = WhatsAppPayloads.textMessage("447700900125", id, TestApp.now(), "no time");
      if (id.endsWith("zero")) {
        text.put("timestamp", "0");
      } else {
        text.remove("timestamp");
      }
      var response = app.postSigned(WhatsAppPayloads.messages(TestApp.PHONE_NUMBER_ID, "447700900125", "Cy", text)
          .encode());
      assertEquals(200, response.statusCode(), response.bodyAsString());
      Instant stored = app.one("SELECT sent_at FROM messages WHERE provider_message_id = $1", id)
          .getOffsetDateTime("sent_at").toInstant();
      assertTrue(!stored.isBefore(before) && stored.isBefore(Instant.now().plusSeconds(1)), id + " stored at " + stored);
    }
  }

  @Test
  void eventsForANumberTheOrganizationDoesNotOwnAreCountedAsSkipped() {
    String body = WhatsAppPayloads.messages("999000111222", "447700900126", "Di",
        WhatsAppPayloads.textMessage("447700900126", "wamid.checks-other-1", TestApp.now(), "one"),
        WhatsAppPayloads.textMessage("447700900126", "wamid.checks-other-2", TestApp.now(), "two")).encode();
    var response = app.postSigned(body);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject counts = response.bodyAsJsonObject();
    assertEquals(2, counts.getInteger("skipped"), counts.encode());
    assertEquals(0, counts.getInteger("accepted"), counts.encode());
  }

  private static HttpResponse<Buffer> raw(HttpMethod method, String path, String body) {
    return app.http.request(method, app.parley.httpPort(), "127.0.0.1", path)
        .putHeader("Authorization", "Bearer " + admin)
        .putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer(body))
        .await();
  }
}

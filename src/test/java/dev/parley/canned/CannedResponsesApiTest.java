package dev.parley.canned;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Canned responses over REST: validation, short codes unique per organization in any case, who may change which,
 * the list with its search and pages, rendering for a conversation or a contact, and organization scope.
 */
@Tag("e2e")
class CannedResponsesApiTest {
  private static final String BASE = "/api/v1/canned_responses";
  private static TestApp app;
  private static String admin;
  private static String agent;
  private static String agent2;
  private static String service;
  private static String otherAdmin;
  private static String adminName;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    agent = app.login("agent@parley.local", "parley-demo-agent");
    app.createUser(app.organizationId(), "second@parley.local", "Bea Second", "agent", "second-agent-pw");
    agent2 = app.login("second@parley.local", "second-agent-pw");
    service = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "Helpdesk"), admin).bodyAsJsonObject()
        .getString("key");
    adminName = app.one("SELECT name FROM users WHERE email = $1", TestApp.ADMIN_EMAIL).getString("name");
    UUID other = app.createOrganization("Elsewhere", UUID.randomUUID(), "800000000000008", "elsewhere-secret");
    app.createUser(other, "admin@elsewhere.example", "Elsewhere Admin", "admin", "elsewhere-password");
    otherAdmin = app.login("admin@elsewhere.example", "elsewhere-password");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body, String token) {
    return app.api(method, path, body, token);
  }

  private static JsonObject reply(String shortCode, String title, String body) {
    return new JsonObject().put("short_code", shortCode).put("title", title).put("body", body);
  }

  private static JsonObject create(JsonObject body, String token) {
    var response = call(HttpMethod.POST, BASE, body, token);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static String render(String id, JsonObject body, String token) {
    var response = call(HttpMethod.POST, BASE + "/" + id + "/render", body, token);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getString("text");
  }

  @Test
  void createReadAndShortCodesUniqueInAnyCase() {
    JsonObject created = create(reply(" Greet-1 ", " Greeting ", "Hi {{ contact.first_name }}, {{agent.name}} here."), agent);
    assertEquals("greet-1", created.getString("short_code"), "stored in lower case");
    assertEquals("Greeting", created.getString("title"));
    assertEquals("Hi {{ contact.first_name }}, {{agent.name}} here.", created.getString("body"));
    assertEquals("user", created.getString("created_by_type"));
    String agentId = app.one("SELECT id FROM users WHERE email = 'agent@parley.local'").getUUID("id").toString();
    assertEquals(agentId, created.getString("created_by"));
    var read = call(HttpMethod.GET, BASE + "/" + created.getString("id"), null, agent2);
    assertEquals(200, read.statusCode());
    assertEquals(created, read.bodyAsJsonObject(), "everyone in the organization reads it");

    var taken = call(HttpMethod.POST, BASE, reply("GREET-1", "Another", "Hello"), admin);
    assertEquals(409, taken.statusCode());
    assertEquals("short_code_taken", errorCode(taken));
    String other = create(reply("greet-2", "Other", "Hello"), admin).getString("id");
    var renamedOnto = call(HttpMethod.PATCH, BASE + "/" + other, new JsonObject().put("short_code", "Greet-1"), admin);
    assertEquals(409, renamedOnto.statusCode());
    assertEquals("short_code_taken", errorCode(renamedOnto));
    assertEquals("greet-2", call(HttpMethod.GET, BASE + "/" + other, null, admin).bodyAsJsonObject().getString("short_code"));
    assertEquals(201, call(HttpMethod.POST, BASE, reply("greet-1", "Theirs", "Hello"), otherAdmin).statusCode(),
        "short codes are unique per organization only");
  }

  @Test
  void everyFieldIsValidated() {
    String longest = "x".repeat(4096);
    assertEquals(201, call(HttpMethod.POST, BASE, reply("max_body", "Long", longest), admin).statusCode());
    JsonObject[] bad = {
        new JsonObject(),
        reply("no_title", null, "body"),
        reply("no_body", "Title", null),
        reply(null, "Title", "body"),
        reply("", "Title", "body"),
        reply("has space", "Title", "body"),
        reply("dots.not.allowed", "Title", "body"),
        reply("x".repeat(33), "Title", "body"),
        reply("ok", "   ", "body"),
        reply("ok", "x".repeat(201), "body"),
        reply("ok", "Title", "  "),
        reply("ok", "Title", longest + "x"),
        reply("ok", "Title", "body").put("shared", true),
        reply("ok", null, "body").put("title", 7),
        new JsonObject().put("short_code", 12).put("title", "Title").put("body", "body")};
    for (JsonObject body : bad) {
      var refused = call(HttpMethod.POST, BASE, body, admin);
      assertEquals(400, refused.statusCode(), body.encode());
      assertEquals("invalid_request", errorCode(refused), body.encode());
    }
    var unknown = call(HttpMethod.POST, BASE, reply("vars", "Vars", "Hi {{contact.nickname}} and {{ agent.email }}"), admin);
    assertEquals(422, unknown.statusCode());
    assertEquals("unknown_variable", errorCode(unknown));
    String message = unknown.bodyAsJsonObject().getJsonObject("error").getString("message");
    assertTrue(message.contains("{{contact.nickname}}") && message.contains("{{agent.email}}"), message);
    assertTrue(message.contains("{{contact.company_name}}"), "names the variables that exist: " + message);
    String id = create(reply("valid", "Valid", "Fine"), admin).getString("id");
    var unknownOnUpdate = call(HttpMethod.PATCH, BASE + "/" + id, new JsonObject().put("body", "{{contact}}"), admin);
    assertEquals("unknown_variable", errorCode(unknownOnUpdate));
    for (JsonObject body : bad) {
      if (!body.isEmpty()) {
        assertEquals(400, call(HttpMethod.PATCH, BASE + "/" + id, body, admin).statusCode(), body.encode());
      }
    }
    assertEquals(reply("valid", "Valid", "Fine"), pick(call(HttpMethod.GET, BASE + "/" + id, null, admin).bodyAsJsonObject()));
  }

  private static JsonObject pick(JsonObject row) {
    return reply(row.getString("short_code"), row.getString("title"), row.getString("body"));
  }

  @Test
  void everyoneCreatesAdminsAndServicesChangeAnyAgentsOnlyTheirOwn() {
    String agents = create(reply("agent_own", "Agent's", "Mine"), agent).getString("id");
    String admins = create(reply("admin_own", "Admin's", "Theirs"), admin).getString("id");
    String services = create(reply("service_own", "Service's", "Bot"), service).getString("id");
    assertEquals("service", call(HttpMethod.GET, BASE + "/" + services, null, agent).bodyAsJsonObject()
        .getString("created_by_type"));

    var patched = call(HttpMethod.PATCH, BASE + "/" + agents, new JsonObject().put("title", "Agent's, edited"), agent);
    assertEquals(200, patched.statusCode(), patched.bodyAsString());
    assertEquals(reply("agent_own", "Agent's, edited", "Mine"), pick(patched.bodyAsJsonObject()), "fields not given stay");
    for (String id : List.of(admins, services)) {
      var refused = call(HttpMethod.PATCH, BASE + "/" + id, new JsonObject().put("body", "Hijacked"), agent);
      assertEquals(403, refused.statusCode());
      assertEquals("not_owner", errorCode(refused));
      assertEquals("not_owner", errorCode(call(HttpMethod.DELETE, BASE + "/" + id, null, agent)));
    }
    assertEquals("not_owner", errorCode(call(HttpMethod.PATCH, BASE + "/" + agents, new JsonObject().put("body", "x"), agent2)),
        "another agent's");
    assertEquals(200, call(HttpMethod.PATCH, BASE + "/" + agents, new JsonObject().put("body", "By the admin"), admin).statusCode());
    assertEquals(200, call(HttpMethod.PATCH, BASE + "/" + admins, new JsonObject().put("short_code", "ADMIN_renamed"), service)
        .statusCode());
    assertEquals("admin_renamed", call(HttpMethod.GET, BASE + "/" + admins, null, agent).bodyAsJsonObject().getString("short_code"));
    assertEquals("Theirs", call(HttpMethod.GET, BASE + "/" + admins, null, agent).bodyAsJsonObject().getString("body"));

    assertEquals(204, call(HttpMethod.DELETE, BASE + "/" + agents, null, agent).statusCode());
    assertEquals(404, call(HttpMethod.GET, BASE + "/" + agents, null, agent).statusCode());
    assertEquals(404, call(HttpMethod.DELETE, BASE + "/" + agents, null, admin).statusCode());
    assertEquals(204, call(HttpMethod.DELETE, BASE + "/" + services, null, admin).statusCode());
    assertEquals(204, call(HttpMethod.DELETE, BASE + "/" + admins, null, service).statusCode());
    assertEquals(0L, app.one("SELECT count(*) AS n FROM canned_responses WHERE id = ANY($1::uuid[])",
        (Object) new UUID[] {UUID.fromString(agents), UUID.fromString(admins), UUID.fromString(services)}).getLong("n"));
  }

  @Test
  void listMatchesAShortCodePrefixOrTitleAndPagesByShortCode() {
    List<String> codes = List.of("zq-ship-status", "zq-ship-delay", "zq_shipping", "zq-refund", "zq-returns");
    List<String> titles = List.of("Where is my parcel", "Parcel delayed", "Costs of delivery", "Money back",
        "Sending items back");
    for (int i = 0; i < codes.size(); i++) {
      create(reply(codes.get(i), titles.get(i), "Text for " + codes.get(i)), agent);
    }
    create(reply("zfast", "We ZQ-SHIP overnight", "Yes"), admin);
    create(reply("zpct", "100% zq_thing", "Yes"), admin);
    assertEquals(List.of("zq-ship-delay", "zq-ship-status"), listCodes("q=ZQ-SHIP-"), "a short code prefix, any case");
    assertEquals(List.of("zfast", "zq-ship-delay", "zq-ship-status"), listCodes("q=zq-ship"), "or a part of the title");
    assertEquals(List.of("zq-refund", "zq-returns"), listCodes("q=zq-re"));
    assertEquals(List.of("zq-refund", "zq-returns"), listCodes("q=%20BACK"));
    assertEquals(List.of("zpct"), listCodes("q=0%25%20zq_"), "% is taken literally");
    assertEquals(List.of("zpct", "zq_shipping"), listCodes("q=zq_"), "_ is not a wildcard");
    assertEquals(List.of(), listCodes("q=refund"), "a short code matches by its start only");

    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      var page = call(HttpMethod.GET, BASE + "?limit=3" + (cursor == null ? "" : "&cursor=" + cursor), null, agent2);
      assertEquals(200, page.statusCode(), page.bodyAsString());
      JsonArray data = page.bodyAsJsonObject().getJsonArray("data");
      assertTrue(data.size() <= 3);
      data.forEach(row -> seen.add(((JsonObject) row).getString("short_code")));
      cursor = page.bodyAsJsonObject().getString("next_cursor");
    } while (cursor != null);
    List<String> sorted = new ArrayList<>(seen);
    sorted.sort(null);
    assertEquals(sorted, seen, "by short code");
    assertTrue(seen.containsAll(codes));
    assertEquals(seen.size(), seen.stream().distinct().count(), "each once");
    assertEquals("invalid_cursor", errorCode(call(HttpMethod.GET, BASE + "?cursor=nonsense!", null, admin)));
    assertEquals(400, call(HttpMethod.GET, BASE + "?limit=0", null, admin).statusCode());
  }

  private static List<String> listCodes(String query) {
    var response = call(HttpMethod.GET, BASE + "?limit=200&" + query, null, agent);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    List<String> codes = new ArrayList<>();
    response.bodyAsJsonObject().getJsonArray("data").forEach(row -> codes.add(((JsonObject) row).getString("short_code")));
    return codes;
  }

  @Test
  void renderFillsTheContactAndTheAgentAndEmptiesWhatIsMissing() {
    String id = create(reply("card", "Contact card", "Hi {{contact.first_name}} ({{contact.name}}), "
        + "number {{contact.mobile_number}}, mail {{contact.email}}, company {{ contact.company_name }}. "
        + "-- {{agent.name}}"), admin).getString("id");
    var inbound = app.postSigned(WhatsAppPayloads.text("447700900321", "Maria Lopez Garcia", "wamid." + UUID.randomUUID(),
        TestApp.now(), "hello"));
    assertEquals(200, inbound.statusCode(), inbound.bodyAsString());
    var conversation = app.one("SELECT cv.id, cv.contact_id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = '+447700900321'");
    String conversationId = conversation.getUUID("id").toString();
    String contactId = conversation.getUUID("contact_id").toString();

    assertEquals("Hi Maria (Maria Lopez Garcia), number +447700900321, mail , company . -- " + adminName,
        render(id, new JsonObject().put("conversation_id", conversationId), admin), "missing fields are empty");
    var patched = call(HttpMethod.PATCH, "/api/v1/contacts/" + contactId, new JsonObject().put("email", "maria@example.com")
        .put("company_name", "Acme"), admin);
    assertEquals(200, patched.statusCode(), patched.bodyAsString());
    assertEquals("Hi Maria (Maria Lopez Garcia), number +447700900321, mail maria@example.com, company Acme. -- Bea Second",
        render(id, new JsonObject().put("contact_id", contactId), agent2), "the agent is whoever renders");
    assertEquals("Hi Maria (Maria Lopez Garcia), number +447700900321, mail maria@example.com, company Acme. -- ",
        render(id, new JsonObject().put("conversation_id", conversationId), service), "a service in an unassigned conversation");
    var assigned = app.postJson("/api/v1/conversations/" + conversationId + "/assign",
        new JsonObject().put("user_id", app.one("SELECT id FROM users WHERE email = 'second@parley.local'").getUUID("id")
            .toString()), admin);
    assertEquals(200, assigned.statusCode(), assigned.bodyAsString());
    assertTrue(render(id, new JsonObject().put("conversation_id", conversationId), service).endsWith("-- Bea Second"),
        "for a service, the agent is the conversation's assignee");

    String nameless = createContact(new JsonObject().put("email", "anon@example.com"));
    assertEquals("Hi  (), number , mail anon@example.com, company . -- " + adminName,
        render(id, new JsonObject().put("contact_id", nameless), admin));

    for (JsonObject body : List.of(new JsonObject(), new JsonObject().put("conversation_id", conversationId)
        .put("contact_id", contactId), new JsonObject().put("contact_id", "nope"))) {
      var refused = call(HttpMethod.POST, BASE + "/" + id + "/render", body, admin);
      assertEquals(400, refused.statusCode(), body.encode());
    }
    assertEquals(404, call(HttpMethod.POST, BASE + "/" + id + "/render",
        new JsonObject().put("conversation_id", UUID.randomUUID().toString()), admin).statusCode());
    assertEquals(404, call(HttpMethod.POST, BASE + "/" + id + "/render",
        new JsonObject().put("contact_id", UUID.randomUUID().toString()), admin).statusCode());
  }

  private static String createContact(JsonObject body) {
    var response = call(HttpMethod.POST, "/api/v1/contacts", body, admin);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getString("id");
  }

  @Test
  void everyEndpointHidesOtherOrganizationsCannedResponsesContactsAndConversations() {
    String ours = create(reply("private", "Private", "Hi {{contact.name}}"), admin).getString("id");
    String theirs = create(reply("theirs", "Theirs", "Hi {{contact.name}}"), otherAdmin).getString("id");
    var inbound = app.postSigned(WhatsAppPayloads.text("447700900555", "Ours", "wamid." + UUID.randomUUID(),
        TestApp.now(), "hi"));
    assertEquals(200, inbound.statusCode());
    var conversation = app.one("SELECT cv.id, cv.contact_id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = '+447700900555'");
    String base = BASE + "/" + ours;
    List<HttpResponse<Buffer>> answers = List.of(
        call(HttpMethod.GET, base, null, otherAdmin),
        call(HttpMethod.PATCH, base, new JsonObject().put("title", "Hijacked"), otherAdmin),
        call(HttpMethod.DELETE, base, null, otherAdmin),
        call(HttpMethod.POST, base + "/render", new JsonObject().put("contact_id", conversation.getUUID("contact_id")
            .toString()), otherAdmin),
        call(HttpMethod.POST, BASE + "/" + theirs + "/render", new JsonObject().put("conversation_id",
            conversation.getUUID("id").toString()), otherAdmin),
        call(HttpMethod.POST, BASE + "/" + theirs + "/render", new JsonObject().put("contact_id",
            conversation.getUUID("contact_id").toString()), otherAdmin),
        call(HttpMethod.GET, BASE + "/not-an-id", null, admin),
        call(HttpMethod.PATCH, BASE + "/" + UUID.randomUUID(), new JsonObject().put("title", "x"), admin));
    for (var answer : answers) {
      assertEquals(404, answer.statusCode(), answer.bodyAsString());
      assertEquals("not_found", errorCode(answer));
    }
    assertEquals("Private", call(HttpMethod.GET, base, null, admin).bodyAsJsonObject().getString("title"));
    assertFalse(call(HttpMethod.GET, BASE + "?limit=200", null, otherAdmin).bodyAsString().contains(ours));
    assertFalse(call(HttpMethod.GET, BASE + "?q=priv", null, otherAdmin).bodyAsString().contains(ours));
    assertEquals(401, call(HttpMethod.GET, BASE, null, null).statusCode());
  }
}

package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The conversation endpoints against real PostgreSQL and Redis: the inbox list and its filters, assignment,
 * status, labels, notes, bots and handoff, the read rules, and the refusals of each (roles and organizations).
 */
@Tag("e2e")
class ConversationsApiTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final AtomicInteger NUMBERS = new AtomicInteger();
  private static TestApp app;
  private static String admin;
  private static String agent;
  private static String agent2;
  private static String apiKey;
  private static UUID agentId;
  private static UUID agent2Id;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    agent = app.login("agent@parley.local", "parley-demo-agent");
    agentId = UUID.fromString(app.api(HttpMethod.GET, "/api/v1/auth/me", null, agent).bodyAsJsonObject().getString("id"));
    agent2Id = app.createUser(app.organizationId(), "second@parley.local", "Second Agent", "agent", "second-agent-pw");
    agent2 = app.login("second@parley.local", "second-agent-pw");
    apiKey = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "Support bot"), admin)
        .bodyAsJsonObject().getString("key");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** A new customer writes (at {@code at}); returns the conversation's id. */
  private static String customerWrites(String name, Instant at, String text) {
    String from = "44770090" + String.format("%04d", NUMBERS.incrementAndGet());
    var response = app.postSigned(WhatsAppPayloads.text(from, name, "wamid." + UUID.randomUUID(), at, text));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id WHERE c.mobile_number = $1",
        "+" + from).getUUID("id").toString();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body, String token) {
    return app.api(method, path, body, token);
  }

  private static HttpResponse<Buffer> post(String path, JsonObject body, String token) {
    return app.api(HttpMethod.POST, path, body == null ? new JsonObject() : body, token);
  }

  private static HttpResponse<Buffer> withKey(HttpMethod method, String path, JsonObject body) {
    var request = app.http.request(method, app.parley.httpPort(), "127.0.0.1", path).putHeader("X-Api-Key", apiKey);
    return body == null ? request.send().await() : request.sendJsonObject(body).await();
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static void refused(HttpResponse<Buffer> response, int status, String code) {
    assertEquals(status, response.statusCode(), response.bodyAsString());
    assertEquals(code, TestApp.errorCode(response));
  }

  private static List<String> ids(JsonObject page) {
    List<String> ids = new ArrayList<>();
    page.getJsonArray("data").forEach(row -> ids.add(((JsonObject) row).getString("id")));
    return ids;
  }

  private static JsonArray thread(String conversationId) {
    return ok(call(HttpMethod.GET, "/api/v1/conversations/" + conversationId + "/messages", null, admin))
        .getJsonArray("data");
  }

  private static long systemMessages(String conversationId, String event) {
    return thread(conversationId).stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("direction").equals("system")
            && event.equals(m.getJsonObject("content").getString("event")))
        .count();
  }

  @Test
  void theListIsOrderedByActivityPagesWithACursorAndCarriesWhatARowShows() {
    Instant base = TestApp.now().minusSeconds(600);
    String older = customerWrites("Paging Older", base, "first");
    String middle = customerWrites("Paging Middle", base.plusSeconds(1), "second");
    String newer = customerWrites("Paging Newer", base.plusSeconds(2), "third");
    String label = "paging-" + UUID.randomUUID().toString().substring(0, 6);
    for (String id : List.of(older, middle, newer)) {
      ok(post("/api/v1/conversations/" + id + "/labels", new JsonObject().put("labels", new JsonArray().add(label)), admin));
    }
    JsonObject first = ok(call(HttpMethod.GET, "/api/v1/conversations?limit=2&label=" + label, null, agent));
    assertEquals(List.of(newer, middle), ids(first));
    String cursor = first.getString("next_cursor");
    assertNotNull(cursor);
    JsonObject second = ok(call(HttpMethod.GET, "/api/v1/conversations?limit=2&label=" + label + "&cursor=" + cursor, null, agent));
    assertEquals(List.of(older), ids(second));
    assertNull(second.getValue("next_cursor"));

    JsonObject row = first.getJsonArray("data").getJsonObject(0);
    assertEquals("Paging Newer", row.getJsonObject("contact").getString("name"));
    assertTrue(row.getJsonObject("contact").getString("mobile_number").startsWith("+4477009"));
    assertEquals("third", row.getJsonObject("last_message").getString("body"));
    assertEquals(1, row.getInteger("unread_count"));
    assertEquals("open", row.getString("status"));
    assertEquals("none", row.getString("bot_state"));
    assertTrue(row.containsKey("assignee_id") && row.getValue("assignee_id") == null);
    assertNotNull(row.getString("window_expires_at"));
    assertEquals(new JsonArray().add(label), row.getJsonArray("labels"));

    refused(call(HttpMethod.GET, "/api/v1/conversations?cursor=not-a-cursor", null, agent), 400, "invalid_cursor");
    refused(call(HttpMethod.GET, "/api/v1/conversations?status=pending", null, agent), 400, "invalid_request");
    refused(call(HttpMethod.GET, "/api/v1/conversations?assignee=nobody", null, agent), 400, "invalid_request");
    refused(withKey(HttpMethod.GET, "/api/v1/conversations?assignee=me", null), 400, "invalid_request");
  }

  @Test
  void filtersSelectByStatusAssigneeChannelLabelUnreadAndText() {
    Instant at = TestApp.now().minusSeconds(300);
    String mine = customerWrites("Filter Zelda Mine", at, "hello");
    String theirs = customerWrites("Filter Zelda Theirs", at, "hello");
    String closed = customerWrites("Filter Zelda Closed", at, "hello");
    ok(post("/api/v1/conversations/" + mine + "/assign", new JsonObject().put("user_id", agentId.toString()), agent));
    ok(post("/api/v1/conversations/" + theirs + "/assign", new JsonObject().put("user_id", agent2Id.toString()), admin));
    ok(post("/api/v1/conversations/" + closed + "/close", null, admin));
    ok(post("/api/v1/conversations/" + mine + "/read", null, agent)); // mine has no unread messages now

    String q = "/api/v1/conversations?limit=200&q=zelda";
    assertEquals(3, ids(ok(call(HttpMethod.GET, q, null, agent))).size());
    assertEquals(List.of(closed), ids(ok(call(HttpMethod.GET, q + "&status=closed", null, agent))));
    assertEquals(List.of(mine), ids(ok(call(HttpMethod.GET, q + "&assignee=me", null, agent))));
    assertEquals(List.of(theirs), ids(ok(call(HttpMethod.GET, q + "&assignee=" + agent2Id, null, agent))));
    assertEquals(List.of(closed), ids(ok(call(HttpMethod.GET, q + "&assignee=unassigned", null, agent))));
    assertFalse(ids(ok(call(HttpMethod.GET, q + "&unread=true", null, agent))).contains(mine));
    assertEquals(2, ids(ok(call(HttpMethod.GET, q + "&unread=true", null, agent))).size());
    assertEquals(3, ids(ok(call(HttpMethod.GET, q + "&channel_id=" + TestApp.CHANNEL_ID, null, agent))).size());
    assertEquals(0, ids(ok(call(HttpMethod.GET, q + "&channel_id=" + UUID.randomUUID(), null, agent))).size());
    String number = app.one("SELECT c.mobile_number FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE cv.id = $1::uuid", mine).getString("mobile_number");
    assertEquals(List.of(mine), ids(ok(call(HttpMethod.GET, "/api/v1/conversations?q=" + number.substring(1), null, agent))));
    // LIKE wildcards in the text match themselves
    assertEquals(0, ids(ok(call(HttpMethod.GET, "/api/v1/conversations?q=%25", null, agent))).size());
  }

  @Test
  void listRowsTakeNewerCountersFromRedisAndStillWorkWithoutThem() {
    String id = customerWrites("Counter Check", TestApp.now().minusSeconds(200), "count me");
    String path = "/api/v1/conversations?q=Counter%20Check";
    assertEquals(1, ok(call(HttpMethod.GET, path, null, admin)).getJsonArray("data").getJsonObject(0).getInteger("unread_count"));
    // a newer copy in Redis (as written by a commit the page's snapshot did not see) wins
    app.parley.redis().send(Request.cmd(Command.HSET).arg(app.keys().conversationState(app.organizationId()))
        .arg(id).arg("999999:42:")).await();
    assertEquals(42, ok(call(HttpMethod.GET, path, null, admin)).getJsonArray("data").getJsonObject(0).getInteger("unread_count"));
    // an older copy does not
    app.parley.redis().send(Request.cmd(Command.HSET).arg(app.keys().conversationState(app.organizationId()))
        .arg(id).arg("0:42:")).await();
    assertEquals(1, ok(call(HttpMethod.GET, path, null, admin)).getJsonArray("data").getJsonObject(0).getInteger("unread_count"));
  }

  @Test
  void assignmentKeepsOneAssigneeWithHistorySystemMessagesAndEventsButNoReadChange() {
    String id = customerWrites("Assign Me", TestApp.now().minusSeconds(100), "who helps me?");
    String path = "/api/v1/conversations/" + id;

    JsonObject taken = ok(post(path + "/assign", new JsonObject().put("user_id", agentId.toString()), agent));
    assertEquals(agentId.toString(), taken.getString("assignee_id"));
    assertEquals(1, taken.getInteger("unread_count"), "assigning marks nothing read");
    app.awaitEvent(WAIT, e -> e.type().equals(OrgEvent.CONVERSATION_UPDATED) && e.data().getString("id").equals(id)
        && agentId.toString().equals(e.data().getString("assignee_id")));
    JsonObject system = thread(id).getJsonObject(0);
    assertEquals("system", system.getString("direction"));
    assertEquals("Assigned to Demo Agent by Demo Agent", system.getString("body"));
    // the contact nobody owned is now owned by the agent the chat went to
    assertEquals(agentId, app.one("SELECT owner_id FROM contacts WHERE id = (SELECT contact_id FROM conversations "
        + "WHERE id = $1::uuid)", id).getUUID("owner_id"));

    refused(post(path + "/assign", new JsonObject().put("user_id", agent2Id.toString()), agent2), 403, "not_owner");
    refused(post(path + "/unassign", null, agent2), 403, "not_owner");
    refused(post(path + "/assign", new JsonObject().put("user_id", UUID.randomUUID().toString()), admin), 400, "invalid_assignee");
    refused(post(path + "/assign", new JsonObject(), admin), 400, "invalid_request");

    // the owner hands over to a colleague; then an admin unassigns
    assertEquals(agent2Id.toString(), ok(post(path + "/assign", new JsonObject().put("user_id", agent2Id.toString()), agent))
        .getString("assignee_id"));
    JsonObject unassigned = ok(post(path + "/unassign", null, admin));
    assertNull(unassigned.getValue("assignee_id"));
    assertEquals(1, unassigned.getInteger("unread_count"));
    JsonArray history = ok(call(HttpMethod.GET, path, null, agent)).getJsonArray("assignments");
    assertEquals(2, history.size());
    assertEquals(agent2Id.toString(), history.getJsonObject(0).getString("user_id"));
    assertNotNull(history.getJsonObject(0).getString("ended_at"));
    assertNotNull(history.getJsonObject(1).getString("ended_at"));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM assignments WHERE conversation_id = $1::uuid AND ended_at IS NULL", id)
        .getLong("n"));
    assertEquals(3, systemMessages(id, "conversation.assigned"));
    // assigning the current assignee again changes nothing
    ok(post(path + "/assign", new JsonObject().put("user_id", agentId.toString()), admin));
    ok(post(path + "/assign", new JsonObject().put("user_id", agentId.toString()), admin));
    assertEquals(4, systemMessages(id, "conversation.assigned"));
  }

  @Test
  void onlyTheAssigneeReadingClearsUnreadAndAnyoneMayMarkUnread() {
    String id = customerWrites("Read Rules", TestApp.now().minusSeconds(90), "unread me");
    String path = "/api/v1/conversations/" + id;

    JsonObject unassigned = ok(post(path + "/read", null, admin));
    assertFalse(unassigned.getBoolean("read"));
    assertEquals("unassigned", unassigned.getString("reason"));
    assertEquals(1, unassigned.getJsonObject("conversation").getInteger("unread_count"));

    ok(post(path + "/assign", new JsonObject().put("user_id", agentId.toString()), admin));
    JsonObject other = ok(post(path + "/read", null, agent2));
    assertFalse(other.getBoolean("read"));
    assertEquals("not_assignee", other.getString("reason"));
    assertEquals("not_assignee", ok(withKey(HttpMethod.POST, path + "/read", new JsonObject())).getString("reason"));
    assertEquals(1, app.one("SELECT unread_count FROM conversations WHERE id = $1::uuid", id).getInteger("unread_count"));

    JsonObject read = ok(post(path + "/read", null, agent));
    assertTrue(read.getBoolean("read"));
    assertNull(read.getValue("reason"));
    assertEquals(0, read.getJsonObject("conversation").getInteger("unread_count"));
    app.awaitEvent(WAIT, e -> e.type().equals(OrgEvent.CONVERSATION_UPDATED) && e.data().getString("id").equals(id)
        && e.data().getInteger("unread_count") == 0);
    assertEquals(0, app.cache().get(app.organizationId(), List.of(UUID.fromString(id))).await()
        .get(UUID.fromString(id)).unreadCount(), "Redis follows");

    JsonObject marked = ok(post(path + "/unread", null, agent2));
    assertEquals(1, marked.getInteger("unread_count"));
    assertEquals(1, ok(post(path + "/unread", null, agent2)).getInteger("unread_count"), "marking twice is one unread");
  }

  @Test
  void closeAndReopenFollowOwnershipWithSystemMessages() {
    String id = customerWrites("Close Me", TestApp.now().minusSeconds(80), "bye");
    String path = "/api/v1/conversations/" + id;
    ok(post(path + "/assign", new JsonObject().put("user_id", agentId.toString()), admin));
    refused(post(path + "/close", null, agent2), 403, "not_owner");
    assertEquals("closed", ok(post(path + "/close", null, agent)).getString("status"));
    assertEquals("closed", ok(post(path + "/close", null, agent)).getString("status"), "closing twice is harmless");
    assertEquals(1, systemMessages(id, "conversation.closed"));
    app.awaitEvent(WAIT, e -> e.type().equals(OrgEvent.CONVERSATION_UPDATED) && e.data().getString("id").equals(id)
        && e.data().getString("status").equals("closed"));
    assertEquals("open", ok(post(path + "/reopen", null, admin)).getString("status"));
    assertEquals(1, systemMessages(id, "conversation.reopened"));

    // a closed conversation cannot be reopened beside the contact's open one on the same channel
    UUID older = UUID.randomUUID();
    app.sql("INSERT INTO conversations (id, organization_id, channel_id, contact_id, status, last_message_at) "
        + "SELECT $1, organization_id, channel_id, contact_id, 'closed', now() - interval '1 day' FROM conversations "
        + "WHERE id = $2::uuid", older, id);
    refused(post("/api/v1/conversations/" + older + "/reopen", null, admin), 409, "open_conversation_exists");
    JsonArray earlier = ok(call(HttpMethod.GET, path + "/earlier", null, agent)).getJsonArray("data");
    assertEquals(1, earlier.size());
    assertEquals(older.toString(), earlier.getJsonObject(0).getString("id"));
    assertEquals(0L, earlier.getJsonObject(0).getLong("message_count"));
  }

  @Test
  void earlierConversationsOfTheContactListTheirSpanAndSize() {
    String from = "4477008" + String.format("%05d", NUMBERS.incrementAndGet());
    Instant at = TestApp.now().minusSeconds(70);
    assertEquals(200, app.postSigned(WhatsAppPayloads.text(from, "Two Channels", "wamid." + UUID.randomUUID(), at, "one"))
        .statusCode());
    // the same customer on a second number of the organization
    UUID channel2 = UUID.randomUUID();
    app.sql("INSERT INTO channels (id, organization_id, provider, name, external_id, credentials) VALUES "
        + "($1, $2, 'whatsapp', 'Second number', '200000000000002', $3)", channel2, app.organizationId(),
        new JsonObject().put("app_secret", "second-secret"));
    String body = WhatsAppPayloads.messages("200000000000002", from, "Two Channels",
        WhatsAppPayloads.textMessage(from, "wamid." + UUID.randomUUID(), at.plusSeconds(1), "two"),
        WhatsAppPayloads.textMessage(from, "wamid." + UUID.randomUUID(), at.plusSeconds(2), "three")).encode();
    assertEquals(200, app.post("/webhooks/whatsapp/" + channel2, Buffer.buffer(body),
        Fixtures.sign(body, "second-secret")).statusCode());
    String first = app.one("SELECT id FROM conversations WHERE channel_id = $1 AND contact_id = (SELECT id FROM contacts "
        + "WHERE mobile_number = $2)", TestApp.CHANNEL_ID, "+" + from).getUUID("id").toString();
    JsonArray earlier = ok(call(HttpMethod.GET, "/api/v1/conversations/" + first + "/earlier", null, agent))
        .getJsonArray("data");
    assertEquals(1, earlier.size());
    assertEquals(channel2.toString(), earlier.getJsonObject(0).getString("channel_id"));
    assertEquals(2L, earlier.getJsonObject(0).getLong("message_count"));
    assertNotNull(earlier.getJsonObject(0).getString("started_at"));
  }

  @Test
  void labelsAreSortedSetsAndNotesStayInternal() {
    String id = customerWrites("Labels Notes", TestApp.now().minusSeconds(60), "label me");
    String path = "/api/v1/conversations/" + id;
    JsonObject labelled = ok(post(path + "/labels", new JsonObject().put("labels", new JsonArray().add("vip").add("billing")
        .add("vip")), agent2));
    assertEquals(new JsonArray().add("billing").add("vip"), labelled.getJsonArray("labels"));
    assertEquals(new JsonArray().add("vip"), ok(call(HttpMethod.DELETE, path + "/labels/billing", null, agent)).getJsonArray("labels"));
    assertEquals(new JsonArray().add("vip"), ok(call(HttpMethod.DELETE, path + "/labels/billing", null, agent)).getJsonArray("labels"));
    refused(post(path + "/labels", new JsonObject().put("labels", new JsonArray().add(" ")), agent), 400, "invalid_request");
    refused(post(path + "/labels", new JsonObject().put("labels", "vip"), agent), 400, "invalid_request");

    for (int i = 1; i <= 3; i++) {
      var note = post(path + "/notes", new JsonObject().put("body", "note " + i), i == 3 ? null : agent);
      if (i == 3) {
        assertEquals(401, note.statusCode());
        note = withKey(HttpMethod.POST, path + "/notes", new JsonObject().put("body", "note " + i));
      }
      assertEquals(201, note.statusCode(), note.bodyAsString());
      assertEquals("note " + i, note.bodyAsJsonObject().getString("body"));
    }
    JsonObject page = ok(call(HttpMethod.GET, path + "/notes?limit=2", null, agent2));
    assertEquals("note 3", page.getJsonArray("data").getJsonObject(0).getString("body"));
    assertEquals("service", page.getJsonArray("data").getJsonObject(0).getString("author_type"));
    JsonObject rest = ok(call(HttpMethod.GET, path + "/notes?limit=2&cursor=" + page.getString("next_cursor"), null, agent2));
    assertEquals("note 1", rest.getJsonArray("data").getJsonObject(0).getString("body"));
    assertEquals(agentId.toString(), rest.getJsonArray("data").getJsonObject(0).getString("author_id"));
    assertTrue(thread(id).stream().map(JsonObject.class::cast).noneMatch(m -> String.valueOf(m.getString("body")).startsWith("note ")),
        "notes are not messages");
    refused(post(path + "/notes", new JsonObject().put("body", ""), agent), 400, "invalid_request");
  }

  @Test
  void aServiceRunsTheBotAndAnAgentTakesOver() {
    String id = customerWrites("Bot Talk", TestApp.now().minusSeconds(50), "hi bot");
    String path = "/api/v1/conversations/" + id;
    refused(call(HttpMethod.PUT, path + "/bot", new JsonObject().put("state", "running"), admin), 403, "service_only");
    refused(withKey(HttpMethod.PUT, path + "/bot", new JsonObject().put("state", "dancing")), 400, "invalid_request");
    JsonObject running = ok(withKey(HttpMethod.PUT, path + "/bot", new JsonObject().put("state", "running")));
    assertEquals("running", running.getString("bot_state"));
    assertEquals("Support bot", running.getString("bot_name"));
    app.awaitEvent(WAIT, e -> e.type().equals(OrgEvent.CONVERSATION_UPDATED) && e.data().getString("id").equals(id)
        && e.data().getString("bot_state").equals("running"));

    refused(withKey(HttpMethod.POST, path + "/handoff", new JsonObject()), 403, "user_only");
    JsonObject handedOff = ok(post(path + "/handoff", null, agent));
    assertEquals("handoff", handedOff.getString("bot_state"));
    assertEquals(agentId.toString(), handedOff.getString("assignee_id"), "the agent who takes over owns the chat");
    assertEquals(1, systemMessages(id, "conversation.handoff"));
    assertEquals("Demo Agent took over from the bot (Support bot)", thread(id).getJsonObject(0).getString("body"));
    refused(post(path + "/handoff", null, agent), 409, "no_bot_running");

    ok(withKey(HttpMethod.PUT, path + "/bot", new JsonObject().put("state", "failed")));
    refused(post(path + "/handoff", null, agent2), 403, "not_owner");
    assertEquals("none", ok(withKey(HttpMethod.PUT, path + "/bot", new JsonObject().put("state", "done"))).getString("bot_state"));
  }

  @Test
  void nothingOfAnotherOrganizationCanBeReadOrChanged() {
    String id = customerWrites("Private Customer", TestApp.now().minusSeconds(40), "secret");
    UUID other = app.createOrganization("Elsewhere", UUID.randomUUID(), "300000000000003", "elsewhere-secret");
    app.createUser(other, "admin@elsewhere.test", "Elsewhere Admin", "admin", "elsewhere-password");
    String stranger = app.login("admin@elsewhere.test", "elsewhere-password");
    String path = "/api/v1/conversations/" + id;
    refused(call(HttpMethod.GET, path, null, stranger), 404, "not_found");
    refused(call(HttpMethod.GET, path + "/earlier", null, stranger), 404, "not_found");
    refused(call(HttpMethod.GET, path + "/messages", null, stranger), 404, "not_found");
    refused(call(HttpMethod.GET, path + "/notes", null, stranger), 404, "not_found");
    for (String action : List.of("assign", "unassign", "close", "reopen", "handoff", "read", "unread", "notes", "labels")) {
      JsonObject body = new JsonObject().put("user_id", (Object) null).put("body", "x")
          .put("labels", new JsonArray().add("x"));
      refused(post(path + "/" + action, action.equals("assign") || action.equals("notes") || action.equals("labels")
          ? body : null, stranger), 404, "not_found");
    }
    refused(call(HttpMethod.DELETE, path + "/labels/x", null, stranger), 404, "not_found");
    refused(call(HttpMethod.GET, "/api/v1/conversations/not-an-id", null, stranger), 404, "not_found");
    assertEquals(0, ok(call(HttpMethod.GET, "/api/v1/conversations", null, stranger)).getJsonArray("data").size());
    assertEquals(0, ok(call(HttpMethod.GET, "/api/v1/messages?q=secret", null, stranger)).getJsonArray("data").size());
    refused(call(HttpMethod.GET, "/api/v1/conversations", null, null), 401, "unauthorized");
  }
}

package dev.parley.push;

import static dev.parley.testing.WhatsAppPayloads.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import dev.parley.testing.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The push hub through real WebSocket clients: sign in, connect, receive the frames of webhooks posted over HTTP;
 * organization isolation; refusals; resume and reset; typing; notifications by view and owner.
 */
@Tag("e2e")
class PushHubTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final Duration QUIET = Duration.ofMillis(700);
  private static TestApp app;
  private static String adminToken;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    adminToken = app.adminToken();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** A socket past its resume grace: it says which view it is on, so live frames flow at once. */
  private static WsClient live(String token, String view) {
    WsClient ws = app.ws(token, null);
    JsonObject ready = ws.next(WAIT);
    assertEquals("ready", ready.getString("type"), ready.encode());
    ws.send(new JsonObject().put("type", "view").put("view", view));
    return ws;
  }

  @Test
  void aWebhookReachesTheSignedInInboxAsSelfContainedFrames() {
    try (WsClient ws = app.ws(adminToken, null)) {
      JsonObject ready = ws.next(WAIT);
      assertEquals("ready", ready.getString("type"));
      assertNotNull(ready.getLong("seq"));
      assertEquals("user", ready.getJsonObject("principal").getString("kind"));
      ws.send(new JsonObject().put("type", "view").put("view", "chats"));

      String from = "14155550201";
      var response = app.postSigned(text(from, "Grace Hopper", "wamid.push-1", TestApp.now(), "Hi from the hub test"));
      assertEquals(200, response.statusCode(), response.bodyAsString());

      JsonObject conversation = ws.await(WAIT, f -> "event".equals(f.getString("type"))
          && f.getString("event").startsWith("conversation.")
          && "Grace Hopper".equals(f.getJsonObject("data").getJsonObject("contact").getString("name")));
      JsonObject row = conversation.getJsonObject("data");
      for (String field : List.of("id", "status", "unread_count", "assignee_id", "window_expires_at", "bot_state",
          "contact", "last_message")) {
        assertTrue(row.containsKey(field), field + " missing from " + row.encode());
      }
      assertEquals("open", row.getString("status"));
      assertEquals(1, row.getInteger("unread_count"));
      assertEquals("Hi from the hub test", row.getJsonObject("last_message").getString("body"));
      assertEquals("Grace Hopper", row.getJsonObject("contact").getString("name"));

      JsonObject message = ws.awaitEvent("message.created", WAIT);
      assertEquals("Hi from the hub test", message.getJsonObject("data").getString("body"));
      assertTrue(message.getLong("seq") > conversation.getLong("seq"), "numbers increase in delivery order");

      JsonObject notification = ws.awaitEvent("notification", WAIT);
      assertNull(notification.getValue("seq"), "notifications are not numbered");
      assertEquals(row.getString("id"), notification.getJsonObject("data").getString("conversation_id"));
    }
  }

  @Test
  void theBearerSubprotocolAuthenticatesAsBrowsersDo() {
    try (WsClient ws = WsClient.connectWithSubprotocol(app.parley.vertx(), app.parley.httpPort(), adminToken)) {
      assertEquals("bearer", ws.socket.subProtocol());
      assertEquals("ready", ws.next(WAIT).getString("type"));
    }
  }

  @Test
  void upgradesWithoutAValidCredentialAreRefusedWith401() {
    assertEquals(401, upgrade("/ws").statusCode());
    var bad = upgrade("/ws?access_token=not-a-token");
    assertEquals(401, bad.statusCode());
    assertEquals("invalid_token", bad.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(401, upgrade("/ws?access_token=pk_unknownkey").statusCode());
    assertEquals(426, app.get("/ws?access_token=" + adminToken).statusCode(), "a plain GET is not an upgrade");
    assertEquals(400, upgrade("/ws?since=-4&access_token=" + adminToken).statusCode());
  }

  private static io.vertx.ext.web.client.HttpResponse<Buffer> upgrade(String uri) {
    return app.http.request(HttpMethod.GET, app.parley.httpPort(), "127.0.0.1", uri)
        .putHeader("Connection", "Upgrade")
        .putHeader("Upgrade", "websocket")
        .putHeader("Sec-WebSocket-Version", "13")
        .putHeader("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send().await();
  }

  @Test
  void pingIsAnsweredWithPongAndBadFramesWithAnError() {
    try (WsClient ws = live(adminToken, "chats")) {
      ws.send(new JsonObject().put("type", "ping").put("id", 7));
      JsonObject pong = ws.await(WAIT, f -> "pong".equals(f.getString("type")));
      assertEquals(7, pong.getInteger("id"));
      ws.socket.writeTextMessage("not json").await();
      assertEquals("bad_frame", ws.await(WAIT, f -> "error".equals(f.getString("type")))
          .getJsonObject("error").getString("code"));
      ws.send(new JsonObject().put("type", "dance"));
      assertEquals("unknown_frame_type", ws.await(WAIT, f -> "error".equals(f.getString("type")))
          .getJsonObject("error").getString("code"));
    }
  }

  @Test
  void anotherOrganizationSeesNothing() {
    UUID otherChannel = UUID.randomUUID();
    UUID other = app.createOrganization("Other Org", otherChannel, "200000000000002", "other-secret");
    app.createUser(other, "agent@other.example", "Other Agent", "agent", "other-password");
    String otherToken = app.login("agent@other.example", "other-password");
    try (WsClient ours = live(adminToken, "chats"); WsClient theirs = live(otherToken, "chats")) {
      app.postSigned(text("14155550301", "Ours", "wamid.iso-ours", TestApp.now(), "for org one"));
      ours.awaitEvent("message.created", WAIT);
      assertNull(theirs.next(QUIET), "the other organization's socket received " + theirs.received);

      String body = WhatsAppPayloads.messages("200000000000002", "14155550302", "Theirs",
          WhatsAppPayloads.textMessage("14155550302", "wamid.iso-theirs", TestApp.now(), "for org two")).encode();
      var response = app.post("/webhooks/whatsapp/" + otherChannel, Buffer.buffer(body), Fixtures.sign(body, "other-secret"));
      assertEquals(200, response.statusCode(), response.bodyAsString());
      JsonObject theirsMessage = theirs.awaitEvent("message.created", WAIT);
      assertEquals("for org two", theirsMessage.getJsonObject("data").getString("body"));
      ours.next(QUIET);
      assertTrue(ours.received.stream().noneMatch(f -> f.encode().contains("for org two")), "leaked to org one");
    }
  }

  @Test
  void resumeDeliversExactlyTheMissedEventsThenLiveOnes() {
    long last;
    try (WsClient ws = live(adminToken, "chats")) {
      app.postSigned(text("14155550401", "Resumer", "wamid.resume-0", TestApp.now(), "before"));
      last = ws.awaitEvent("message.created", WAIT).getLong("seq");
      ws.next(QUIET); // the rest of that webhook's frames
      last = maxSeq(ws.received);
    }
    List<String> missed = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      missed.add("missed " + i);
      app.postSigned(text("14155550401", "Resumer", "wamid.resume-" + i, TestApp.now(), "missed " + i));
    }
    try (WsClient ws = app.ws(adminToken, null)) {
      assertEquals("ready", ws.next(WAIT).getString("type"));
      ws.send(new JsonObject().put("type", "resume").put("since", last));
      List<String> bodies = new ArrayList<>();
      long expected = last + 1;
      while (bodies.size() < 3) {
        JsonObject frame = ws.next(WAIT);
        assertNotNull(frame, "replay stopped after " + bodies);
        assertEquals("event", frame.getString("type"), frame.encode());
        assertEquals(expected++, frame.getLong("seq"), "replayed in order, without gaps or repeats");
        if ("message.created".equals(frame.getString("event"))) {
          bodies.add(frame.getJsonObject("data").getString("body"));
        }
      }
      assertEquals(missed, bodies);
      ws.next(QUIET);
      app.postSigned(text("14155550401", "Resumer", "wamid.resume-live", TestApp.now(), "live again"));
      JsonObject liveFrame = ws.awaitEvent("message.created", WAIT);
      assertEquals("live again", liveFrame.getJsonObject("data").getString("body"));
      assertStrictlyIncreasing(ws.received);
    }
  }

  @Test
  void resumeFromTheFutureOrFromBeforeTheLogIsAReset() {
    try (WsClient ws = app.ws(adminToken, "&since=" + Long.MAX_VALUE / 4)) {
      assertEquals("ready", ws.next(WAIT).getString("type"));
      JsonObject reset = ws.next(WAIT);
      assertEquals("reset", reset.getString("type"), reset.encode());
      assertNotNull(reset.getLong("seq"));
    }
    try (WsClient ws = app.ws(adminToken, null)) {
      ws.next(WAIT);
      ws.send(new JsonObject().put("type", "resume").put("since", 1));
      assertEquals("reset", ws.next(WAIT).getString("type"), "seq 1 is older than the log");
    }
  }

  @Test
  void typingIsRelayedToTheOtherAgentsOnly() {
    UUID org = app.organizationId();
    app.createUser(org, "typist@parley.local", "Typist", "agent", "typist-password");
    app.createUser(org, "watcher@parley.local", "Watcher", "agent", "watcher-password");
    String key = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "typing test"), adminToken)
        .bodyAsJsonObject().getString("key");
    try (WsClient typist = live(app.login("typist@parley.local", "typist-password"), "chats");
         WsClient watcher = live(app.login("watcher@parley.local", "watcher-password"), "contacts");
         WsClient service = live(key, "chats")) {
      String conversation = UUID.randomUUID().toString();
      typist.send(new JsonObject().put("type", "typing").put("conversation_id", conversation).put("typing", true));
      JsonObject typing = watcher.awaitEvent("typing", WAIT);
      assertEquals(conversation, typing.getJsonObject("data").getString("conversation_id"));
      assertEquals("Typist", typing.getJsonObject("data").getString("user_name"));
      assertTrue(typing.getJsonObject("data").getBoolean("typing"));
      assertNull(typist.next(QUIET), "the typist does not get their own typing");
      assertNull(service.next(Duration.ofMillis(100)), "services are not agents");
    }
  }

  @Test
  void notificationsGoToTheChatsViewAndToTheOwnerWherever() {
    UUID org = app.organizationId();
    UUID owner = app.createUser(org, "owner@parley.local", "Owner", "agent", "owner-password");
    app.createUser(org, "chats@parley.local", "In Chats", "agent", "chats-password");
    app.createUser(org, "elsewhere@parley.local", "Elsewhere", "agent", "elsewhere-password");
    String from = "14155550501";
    app.postSigned(text(from, "Notified", "wamid.notify-0", TestApp.now(), "first"));
    app.sql("UPDATE conversations SET assignee_id = $1 WHERE contact_id = "
        + "(SELECT contact_id FROM contact_identities WHERE external_id = $2)", owner, from);

    try (WsClient ownerWs = live(app.login("owner@parley.local", "owner-password"), "contacts");
         WsClient chatsWs = live(app.login("chats@parley.local", "chats-password"), "chats");
         WsClient elsewhereWs = live(app.login("elsewhere@parley.local", "elsewhere-password"), "settings")) {
      app.postSigned(text(from, "Notified", "wamid.notify-1", TestApp.now(), "assigned one"));
      assertEquals(owner.toString(), ownerWs.awaitEvent("notification", WAIT).getJsonObject("data").getString("assignee_id"));
      assertEquals("assigned one", chatsWs.awaitEvent("notification", WAIT).getJsonObject("data")
          .getJsonObject("message").getString("body"));
      elsewhereWs.awaitEvent("message.created", WAIT);
      elsewhereWs.next(QUIET);
      assertTrue(elsewhereWs.received.stream().noneMatch(f -> "notification".equals(f.getString("event"))),
          "neither in chats nor the owner: no notification");

      // an unassigned conversation notifies the chats view only
      app.postSigned(text("14155550502", "Unassigned", "wamid.notify-2", TestApp.now(), "nobody's"));
      chatsWs.await(WAIT, f -> "notification".equals(f.getString("event"))
          && "nobody's".equals(f.getJsonObject("data").getJsonObject("message").getString("body")));
      ownerWs.next(QUIET);
      assertTrue(ownerWs.received.stream().noneMatch(f -> "notification".equals(f.getString("event"))
          && f.encode().contains("nobody's")), "the owner of another conversation is not notified");
    }
  }

  @Test
  void metricsShowSocketsFramesAndResumes() {
    try (WsClient ws = live(adminToken, "chats")) {
      assertTrue(app.metric("parley_push_sockets", null) >= 1, "the open socket is counted");
      app.postSigned(text("14155550601", "Counted", "wamid.metrics-1", TestApp.now(), "counted"));
      ws.awaitEvent("message.created", WAIT);
      assertTrue(app.metric("parley_push_frames_out_total", null) >= 3);
      ws.send(new JsonObject().put("type", "resume").put("since", 1));
      ws.await(WAIT, f -> "reset".equals(f.getString("type")));
      assertTrue(app.metric("parley_push_resumes_total", "outcome=\"reset\"") >= 1);
      assertTrue(app.metric("parley_push_resets_total", null) >= 1);
    }
  }

  static long maxSeq(List<JsonObject> frames) {
    return frames.stream().filter(f -> "event".equals(f.getString("type")) && f.getLong("seq") != null)
        .mapToLong(f -> f.getLong("seq")).max().orElse(-1);
  }

  static void assertStrictlyIncreasing(List<JsonObject> frames) {
    long previous = Long.MIN_VALUE;
    for (JsonObject frame : List.copyOf(frames)) {
      Long seq = "event".equals(frame.getString("type")) ? frame.getLong("seq") : null;
      if (seq != null) {
        assertTrue(seq > previous, "sequence went from " + previous + " to " + seq);
        previous = seq;
      }
    }
  }
}

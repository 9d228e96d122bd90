package dev.parley.conversation;

import static dev.parley.testing.WhatsAppPayloads.status;
import static dev.parley.testing.WhatsAppPayloads.text;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.store.ConversationCache.CachedState;
import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Many webhooks at once, on one node and on two: no lost update, no duplicate, no backwards status. */
@Tag("e2e")
class ConcurrentInboundTest {
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static List<HttpResponse<Buffer>> postAll(List<String> bodies, List<TestApp> nodes) {
    List<Future<HttpResponse<Buffer>>> sent = new ArrayList<>();
    for (int i = 0; i < bodies.size(); i++) {
      TestApp node = nodes.get(i % nodes.size());
      String body = bodies.get(i);
      sent.add(node.http.post(node.parley.httpPort(), "127.0.0.1", node.webhookPath())
          .putHeader("content-type", "application/json")
          .putHeader("X-Hub-Signature-256", Fixtures.sign(body, TestApp.APP_SECRET))
          .sendBuffer(Buffer.buffer(body)));
    }
    Future.join(sent).await();
    nodes.forEach(TestApp::settled); // acknowledged means logged; wait until every node has projected what it took
    return sent.stream().map(Future::result).toList();
  }

  @Test
  void fiftyConcurrentInterleavedMessagesAndShuffledStatusesEndInTheRightState() {
    Instant base = TestApp.now().minusSeconds(3_600);
    String customer = "14155550301";
    app.postSigned(text(customer, "Busy", "wamid.c301-first", base, "first"));
    Row first = app.one("SELECT conversation_id, organization_id FROM messages WHERE provider_message_id = 'wamid.c301-first'");
    UUID conversation = first.getUUID("conversation_id");
    UUID outbound = UUID.randomUUID();
    app.sql("""
        INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, provider_message_id,
                              sender_type, status, sent_at)
        VALUES ($1, $2, $3, $4, 'outbound', 'text', 'wamid.c301-out', 'agent', 'pending', now())""",
        outbound, first.getUUID("organization_id"), conversation, TestApp.CHANNEL_ID);

    Random random = new Random(301);
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      bodies.add(text(customer, "Busy", "wamid.c301-" + i, base.plusSeconds(10 + random.nextInt(600)), "message " + i));
    }
    String[] states = {"sent", "delivered", "read"};
    for (int i = 0; i < 10; i++) {
      String state = states[i % 3];
      bodies.add(status("wamid.c301-out", state, base.plusSeconds(700 + List.of(states).indexOf(state)), customer));
    }
    for (int i = 0; i < 10; i++) {
      bodies.add(bodies.get(random.nextInt(40))); // provider retries of webhooks in this very burst
    }
    Collections.shuffle(bodies, random);

    for (HttpResponse<Buffer> response : postAll(bodies, List.of(app))) {
      assertEquals(200, response.statusCode(), response.bodyAsString());
    }

    Row row = app.one("SELECT * FROM conversations WHERE id = $1", conversation);
    assertEquals(31, row.getInteger("unread_count"), "every distinct inbound message counted once");
    assertEquals(31, app.one("SELECT count(*) AS n FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
        conversation).getLong("n").intValue());
    Instant latest = app.one("SELECT max(sent_at) AS t FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
        conversation).getOffsetDateTime("t").toInstant();
    assertEquals(latest.plus(Duration.ofHours(24)), row.getOffsetDateTime("window_expires_at").toInstant());
    assertEquals(latest, row.getOffsetDateTime("last_message_at").toInstant());
    assertEquals("read", app.one("SELECT status FROM messages WHERE id = $1", outbound).getString("status"));
    assertEquals(3, app.sql("SELECT 1 FROM message_status_history WHERE message_id = $1", outbound).size());

    CachedState cached = app.cache().get(app.organizationId(), List.of(conversation)).await().get(conversation);
    assertEquals(31, cached.unreadCount(), "Redis ends on the newest version whatever order the writes landed in");
    assertEquals(row.getLong("version"), cached.version());
  }

  @Test
  void simultaneousFirstMessagesFromOneNewNumberMakeOneContactAndOneConversation() {
    String customer = "14155550302";
    Instant at = TestApp.now();
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      bodies.add(text(customer, "Eager", "wamid.c302-" + i, at, "hello " + i));
    }
    postAll(bodies, List.of(app)).forEach(r -> assertEquals(200, r.statusCode(), r.bodyAsString()));
    assertSingleContactAndConversation(customer, 20);
  }

  @Test
  void twoNodesOnOneDatabaseAgreeOnOneContactAndConversation() {
    TestApp second = TestApp.join(app, Map.of());
    try {
      String customer = "14155550303";
      Instant at = TestApp.now();
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        bodies.add(text(customer, "Everywhere", "wamid.c303-" + (i / 2), at, "hello " + (i / 2))); // each sent twice
      }
      postAll(bodies, List.of(app, second)).forEach(r -> assertEquals(200, r.statusCode(), r.bodyAsString()));
      assertSingleContactAndConversation(customer, 10);
    } finally {
      second.stop();
    }
  }

  private static void assertSingleContactAndConversation(String customer, int messages) {
    assertEquals(1, app.sql("SELECT 1 FROM contacts WHERE mobile_number = $1", "+" + customer).size());
    assertEquals(1, app.sql("SELECT 1 FROM contact_identities WHERE external_id = $1", customer).size());
    List<Row> conversations = app.sql("""
        SELECT c.unread_count FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id
        WHERE ci.external_id = $1""", customer);
    assertEquals(1, conversations.size());
    assertEquals(messages, conversations.get(0).getInteger("unread_count"));
  }
}

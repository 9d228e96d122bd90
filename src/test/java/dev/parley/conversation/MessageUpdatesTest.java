package dev.parley.conversation;

import static dev.parley.testing.WhatsAppPayloads.status;
import static dev.parley.testing.WhatsAppPayloads.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parley.bus.OrgEvent;
import dev.parley.store.MessageStore;
import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
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

/** Statuses, reactions, edits and identity changes, posted as real webhooks. */
@Tag("e2e")
class MessageUpdatesTest {
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** What outbound dispatch writes when the provider accepts a send: a message with the provider's id. */
  private static UUID outbound(String from, String providerId) {
    app.postSigned(text(from, "Customer", "wamid.in-" + providerId, TestApp.now().minusSeconds(120), "hello"));
    Row conversation = app.one("SELECT conversation_id, organization_id FROM messages WHERE provider_message_id = $1",
        "wamid.in-" + providerId);
    UUID id = UUID.randomUUID();
    app.sql("""
        INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, provider_message_id,
                              sender_type, status, sent_at)
        VALUES ($1, $2, $3, $4, 'outbound', 'text', 'our answer', $5, 'agent', 'sent', now())""",
        id, conversation.getUUID("organization_id"), conversation.getUUID("conversation_id"), TestApp.CHANNEL_ID, providerId);
    return id;
  }

  private static String statusOf(UUID message) {
    return app.one("SELECT status FROM messages WHERE id = $1", message).getString("status");
  }

  @Test
  void statusesMoveForwardOnlyAndEveryOneIsKeptOnce() {
    UUID message = outbound("14155550201", "wamid.out-201");
    Instant t = TestApp.now();
    assertEquals(200, app.postSigned(status("wamid.out-201", "read", t.plusSeconds(3), "14155550201")).statusCode());
    assertEquals("read", statusOf(message), "read may skip delivered");
    app.postSigned(status("wamid.out-201", "delivered", t.plusSeconds(2), "14155550201"));
    app.postSigned(status("wamid.out-201", "sent", t.plusSeconds(1), "14155550201"));
    app.postSigned(status("wamid.out-201", "failed", t.plusSeconds(4), "14155550201"));
    assertEquals("read", statusOf(message), "late statuses never move it backwards");
    var again = app.postCounted(status("wamid.out-201", "read", t.plusSeconds(3), "14155550201"));
    assertEquals(1, again.getInteger("duplicates"), again.encode());

    List<Row> history = app.sql(
        "SELECT status, provider_timestamp FROM message_status_history WHERE message_id = $1 ORDER BY provider_timestamp",
        message);
    assertEquals(List.of("sent", "delivered", "read", "failed"), history.stream().map(r -> r.getString("status")).toList());
    assertEquals(t.plusSeconds(3), history.get(2).getOffsetDateTime("provider_timestamp").toInstant());
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_UPDATED)
        && e.data().getString("id").equals(message.toString()) && "read".equals(e.data().getString("status")));
  }

  @Test
  void failedKeepsTheProvidersCodeAndTitle() {
    UUID message = outbound("14155550202", "wamid.out-202");
    app.postSigned(status("wamid.out-202", "failed", TestApp.now(), "14155550202"));
    Row row = app.one("SELECT status, error_code, error_title FROM messages WHERE id = $1", message);
    assertEquals("failed", row.getString("status"));
    assertEquals(131047, row.getInteger("error_code"));
    assertEquals("Re-engagement message", row.getString("error_title"));
  }

  @Test
  void statusForAnUnknownMessageIsKeptAndAppliedWhenTheMessageAppears() {
    var counts = app.postCounted(status("wamid.later-203", "delivered", TestApp.now(), "14155550203"));
    assertEquals(1, counts.getInteger("pending"), counts.encode());
    assertEquals(1, app.sql("SELECT 1 FROM pending_statuses WHERE provider_message_id = 'wamid.later-203'").size());

    UUID message = outbound("14155550203", "wamid.later-203");
    var statuses = new MessageStatuses(new MessageStore());
    var changes = new Changes();
    app.parley.pool()
        .withTransaction(tx -> statuses.adoptPending(tx, TestApp.CHANNEL_ID, "wamid.later-203", changes)).await();
    assertEquals("delivered", statusOf(message));
    assertEquals(1, changes.events.size());
    assertEquals(0, app.sql("SELECT 1 FROM pending_statuses WHERE provider_message_id = 'wamid.later-203'").size());
  }

  @Test
  void customerReactionIsReplacedByTheNextAndRemovedByAnEmptyOne() {
    app.postSigned(text("14155550204", "Reactor", "wamid.target-204", TestApp.now().minusSeconds(60), "react to me"));
    Instant t = TestApp.now();
    app.postSigned(WhatsAppPayloads.reaction("14155550204", "wamid.r1-204", t, "wamid.target-204", "\uD83D\uDC4D"));
    assertEquals("\uD83D\uDC4D", reaction("wamid.target-204"));
    app.postSigned(WhatsAppPayloads.reaction("14155550204", "wamid.r2-204", t.plusSeconds(5), "wamid.target-204", "\u2764\uFE0F"));
    assertEquals("\u2764\uFE0F", reaction("wamid.target-204"));
    var stale = app.postCounted(WhatsAppPayloads.reaction("14155550204", "wamid.r1-204", t, "wamid.target-204", "\uD83D\uDC4D"));
    assertEquals(1, stale.getInteger("duplicates"), stale.encode());
    assertEquals("\u2764\uFE0F", reaction("wamid.target-204"), "an older reaction redelivered does not come back");
    app.postSigned(WhatsAppPayloads.reaction("14155550204", "wamid.r3-204", t.plusSeconds(9), "wamid.target-204", ""));
    assertNull(reaction("wamid.target-204"));
    assertEquals(1, app.sql("SELECT 1 FROM reactions WHERE target_provider_id = 'wamid.target-204'").size(), "one per side");
    assertEquals(1, app.one("SELECT unread_count FROM conversations WHERE id = (SELECT conversation_id FROM messages "
        + "WHERE provider_message_id = 'wamid.target-204')").getInteger("unread_count"), "reactions are not messages");
    OrgEvent updated = app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_UPDATED)
        && "wamid.target-204".equals(e.data().getString("provider_message_id"))
        && e.data().getJsonObject("reactions").containsKey("customer"));
    assertEquals(app.organizationId(), updated.organizationId());
  }

  private static String reaction(String target) {
    return app.one("SELECT emoji FROM reactions WHERE target_provider_id = $1 AND side = 'customer'", target)
        .getString("emoji");
  }

  @Test
  void editReplacesTheOriginalTextOnce() {
    app.postSigned(text("14155550205", "Editor", "wamid.orig-205", TestApp.now().minusSeconds(60), "teh text"));
    var edit = new JsonObject().put("from", "14155550205").put("id", "wamid.edit-205")
        .put("timestamp", Long.toString(TestApp.now().getEpochSecond())).put("type", "edit")
        .put("edit", new JsonObject().put("original_message_id", "wamid.orig-205")
            .put("message", new JsonObject().put("type", "text").put("text", new JsonObject().put("body", "the text"))));
    String body = WhatsAppPayloads.messages(TestApp.PHONE_NUMBER_ID, "14155550205", "Editor", edit).encode();
    assertEquals(200, app.postSigned(body).statusCode());
    Row row = app.one("SELECT body, edited_at FROM messages WHERE provider_message_id = 'wamid.orig-205'");
    assertEquals("the text", row.getString("body"));
    assertEquals(1, app.postCounted(body).getInteger("duplicates"));
  }

  @Test
  void numberChangeUpdatesTheContactAndAddsASystemMessage() {
    String fixture = Fixtures.read("whatsapp", "system_number_change.json");
    app.postSigned(text("16505551234", "Sheena Nelson", "wamid.before-change", TestApp.now().minusSeconds(60), "hi"));
    UUID contact = app.one("SELECT contact_id FROM contact_identities WHERE external_id = '16505551234'")
        .getUUID("contact_id");

    assertEquals(200, app.postSigned(fixture).statusCode());
    assertEquals("+16505559876", app.one("SELECT mobile_number FROM contacts WHERE id = $1", contact)
        .getString("mobile_number"));
    assertEquals(contact, app.one("SELECT contact_id FROM contact_identities WHERE external_id = '16505559876'")
        .getUUID("contact_id"));
    Row system = app.one("SELECT body FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        + "WHERE c.contact_id = $1 AND m.direction = 'system'", contact);
    assertEquals("Customer changed their phone number from +16505551234 to +16505559876", system.getString("body"));
    assertEquals(1, app.postCounted(fixture).getInteger("duplicates"), "redelivery changes nothing");
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_UPDATED)
        && "+16505559876".equals(e.data().getString("mobile_number")));
  }

  @Test
  void everyFixtureIsAcceptedEndToEnd() {
    for (String name : Fixtures.payloads("whatsapp")) {
      String body = Fixtures.read("whatsapp", name).replace("106540352242922", TestApp.PHONE_NUMBER_ID);
      var response = app.postSigned(body);
      assertEquals(200, response.statusCode(), name + ": " + response.bodyAsString());
      assertEquals(200, app.postSigned(body).statusCode(), name + " redelivered");
    }
    Row unsupported = app.one("SELECT type, content FROM messages WHERE provider_message_id = "
        + "'wamid.HBgMOTcyOTg3NjU0MzIxFQIAEhgUM0EzQTFCQTE0NjcyNTgxMjlGRDUA'");
    assertEquals("unsupported", unsupported.getString("type"));
    assertEquals("hologram", ((JsonObject) unsupported.getValue("content")).getString("kind"));
    Row bsuid = app.one("SELECT c.address ->> 'country' AS country, ci.user_id, ci.username FROM contact_identities ci "
        + "JOIN contacts c ON c.id = ci.contact_id WHERE ci.external_id = 'US.13491208655302741918'");
    assertEquals("US", bsuid.getString("country"));
    assertEquals("testname", bsuid.getString("username"));
    assertEquals("130429 Rate limit hit: Cloud API message throughput has been reached.",
        app.one("SELECT last_error FROM channels WHERE id = $1", TestApp.CHANNEL_ID).getString("last_error"));
  }
}

package dev.parley.conversation;

import static dev.parley.testing.WhatsAppPayloads.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import dev.parley.store.ConversationCache.CachedState;
import dev.parley.testing.TestApp;
import dev.parley.testing.TestServers;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Service-window timers with a short configured window, and the rebuild of Redis from PostgreSQL. */
@Tag("e2e")
class ServiceWindowTest {
  private static final Map<String, String> SHORT_WINDOW = Map.of(
      "PARLEY_SERVICE_WINDOW", "PT4S",
      "PARLEY_WINDOW_CLOSING_LEAD", "PT2S",
      "PARLEY_TIMER_POLL_INTERVAL", "PT0.1S",
      "PARLEY_STATE_CHECK_INTERVAL", "PT0.3S");
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(SHORT_WINDOW);
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static UUID conversationOf(TestApp node, String providerId) {
    return node.one("SELECT conversation_id FROM messages WHERE provider_message_id = $1", providerId)
        .getUUID("conversation_id");
  }

  private static List<OrgEvent> windowEvents(TestApp node, String type, UUID conversation) {
    return node.events(type).stream()
        .filter(e -> e.data().getString("conversation_id").equals(conversation.toString())).toList();
  }

  @Test
  void closingThenClosedFireOnceEachAtTheirTime() {
    Instant sentAt = TestApp.now();
    app.postSigned(text("14155550401", "Timer", "wamid.w401", sentAt, "tick"));
    UUID conversation = conversationOf(app, "wamid.w401");
    Instant expiry = sentAt.plusSeconds(4);

    app.awaitEvent(Duration.ofSeconds(8), e -> e.type().equals(OrgEvent.WINDOW_CLOSING)
        && e.data().getString("conversation_id").equals(conversation.toString()));
    Instant closingSeenAt = Instant.now();
    assertFalse(closingSeenAt.isBefore(expiry.minusSeconds(2)), "closing fires at the configured lead, not before");
    assertTrue(windowEvents(app, OrgEvent.WINDOW_CLOSED, conversation).isEmpty() || Instant.now().isAfter(expiry));

    OrgEvent closed = app.awaitEvent(Duration.ofSeconds(8), e -> e.type().equals(OrgEvent.WINDOW_CLOSED)
        && e.data().getString("conversation_id").equals(conversation.toString()));
    assertFalse(Instant.now().isBefore(expiry), "closed fires at expiry");
    assertEquals(expiry.toString(), closed.data().getString("window_expires_at"));
    TestApp.sleep(1_000);
    assertEquals(1, windowEvents(app, OrgEvent.WINDOW_CLOSING, conversation).size());
    assertEquals(1, windowEvents(app, OrgEvent.WINDOW_CLOSED, conversation).size());
  }

  @Test
  void aNewCustomerMessagePushesTheTimerOut() {
    Instant first = TestApp.now();
    app.postSigned(text("14155550402", "Chatty", "wamid.w402-a", first, "one"));
    UUID conversation = conversationOf(app, "wamid.w402-a");
    TestApp.sleep(1_500);
    Instant second = TestApp.now().plusSeconds(2);
    app.postSigned(text("14155550402", "Chatty", "wamid.w402-b", second, "two"));

    app.awaitEvent(Duration.ofSeconds(10), e -> e.type().equals(OrgEvent.WINDOW_CLOSED)
        && e.data().getString("conversation_id").equals(conversation.toString()));
    assertFalse(Instant.now().isBefore(second.plusSeconds(4)), "the window follows the latest customer message");
    assertEquals(1, windowEvents(app, OrgEvent.WINDOW_CLOSED, conversation).size());
  }

  @Test
  void twoNodesFireEachTimerOnce() {
    TestApp other = TestApp.join(app, SHORT_WINDOW);
    try {
      app.postSigned(text("14155550403", "Shared", "wamid.w403", TestApp.now(), "hi"));
      UUID conversation = conversationOf(app, "wamid.w403");
      TestApp.sleep(6_500);
      long closed = Stream.of(app, other).mapToLong(n -> windowEvents(n, OrgEvent.WINDOW_CLOSED, conversation).size()).sum();
      long closing = Stream.of(app, other).mapToLong(n -> windowEvents(n, OrgEvent.WINDOW_CLOSING, conversation).size()).sum();
      assertEquals(1, closed, "one window.closed across the nodes");
      assertEquals(1, closing, "one window.closing across the nodes");
    } finally {
      other.stop();
    }
  }

  @Test
  void timersDueWhileTheServerWasDownFireAtStart() {
    TestApp first = TestApp.start(SHORT_WINDOW);
    TestApp restarted = null;
    try {
      first.postSigned(text("14155550404", "Patient", "wamid.w404", TestApp.now(), "bye"));
      UUID conversation = conversationOf(first, "wamid.w404");
      first.flushRedis(); // the node and its Redis state are gone...
      first.stop();
      TestApp.sleep(5_000); // ...while the window closes
      restarted = TestApp.join(first, SHORT_WINDOW);
      OrgEvent closed = restarted.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.WINDOW_CLOSED)
          && e.data().getString("conversation_id").equals(conversation.toString()));
      assertNotNull(closed);
      TestApp.sleep(500);
      assertTrue(windowEvents(restarted, OrgEvent.WINDOW_CLOSING, conversation).isEmpty(),
          "no closing notice for a window that has already closed");
    } finally {
      if (restarted != null) {
        restarted.flushRedis();
        restarted.stop();
      }
      TestServers.admin("DROP DATABASE IF EXISTS \"" + first.database + "\" WITH (FORCE)");
    }
  }

  @Test
  void redisStateLostIsRebuiltFromPostgres() {
    app.postSigned(text("14155550405", "Counted", "wamid.w405-a", TestApp.now(), "a"));
    app.postSigned(text("14155550405", "Counted", "wamid.w405-b", TestApp.now(), "b"));
    UUID conversation = conversationOf(app, "wamid.w405-a");
    UUID organization = app.organizationId();
    app.flushRedis();
    assertTrue(app.cache().get(organization, List.of(conversation)).await().isEmpty());

    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    CachedState state = null;
    while (state == null && System.nanoTime() < deadline) {
      TestApp.sleep(100);
      state = app.cache().get(organization, List.of(conversation)).await().get(conversation);
    }
    assertNotNull(state, "the periodic state check rebuilt Redis");
    assertEquals(2, state.unreadCount());

    app.flushRedis();
    Integer rebuilt = app.parley.vertx().eventBus()
        .<Integer>request(Addresses.CONVERSATION_REBUILD_STATE, null).await().body();
    assertTrue(rebuilt >= 1);
    assertEquals(2, app.cache().get(organization, List.of(conversation)).await().get(conversation).unreadCount());
  }
}

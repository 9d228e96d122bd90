package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.testing.TestApp;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A group's messages are applied set-based, a few statements for all of them, with the same outcome as one by one:
 * contacts found, named or created, conversations found, opened or reopened, counters moved once per conversation,
 * duplicates counted, and whatever the set-based path leaves alone (a shared new number, a closed conversation)
 * decided one by one in the same transaction.
 */
class SetBasedInboundTest {
  private static TestApp app;
  private static DirectApply direct;
  private static Channel channel;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    direct = new DirectApply(app);
    channel = app.channel();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void oneGroupOfManyKindsEndsAsOneByOneWould() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
    String known = number(run, 1);      // has an open conversation
    String closed = number(run, 2);     // has a closed conversation
    String nameless = number(run, 3);   // known, without a name so far
    String fresh = number(run, 4);      // first message ever, twice in the group
    String shared = number(run, 5);     // two new identities with one number

    apply(List.of(message(id(run, "k0"), known, "Known", t0), message(id(run, "c0"), closed, "Closed", t0),
        message(id(run, "n0"), nameless, null, t0)));
    app.one("UPDATE conversations c SET status = 'closed' FROM contact_identities ci "
        + "WHERE ci.contact_id = c.contact_id AND ci.external_id = $1 RETURNING c.id", closed);
    app.events.clear();

    List<Routed> group = new ArrayList<>();
    group.add(message(id(run, "k2"), known, "Known", t0.plusSeconds(20)));
    group.add(message(id(run, "k1"), known, "Known", t0.plusSeconds(10))); // older, arriving later
    group.add(message(id(run, "k0"), known, "Known", t0));                 // stored before: a duplicate
    group.add(message(id(run, "c1"), closed, "Closed", t0.plusSeconds(5)));
    group.add(message(id(run, "n1"), nameless, "Now Named", t0.plusSeconds(5)));
    group.add(message(id(run, "f1"), fresh, "Fresh", t0.plusSeconds(1)));
    group.add(message(id(run, "f2"), fresh, "Fresh", t0.plusSeconds(2)));
    group.add(message(id(run, "f2"), fresh, "Fresh", t0.plusSeconds(2)));  // the same delivery twice in the group
    group.add(new Routed(channel, new InboundEvent.Message(channel.externalId(), id(run, "s1"), t0.plusSeconds(3),
        new InboundEvent.Sender("a" + shared, "+" + shared, null, "Shared A", null), "text", "a",
        new JsonObject().put("text", "a"), null, new JsonObject())));
    group.add(new Routed(channel, new InboundEvent.Message(channel.externalId(), id(run, "s2"), t0.plusSeconds(4),
        new InboundEvent.Sender("b" + shared, "+" + shared, null, "Shared B", null), "text", "b",
        new JsonObject().put("text", "b"), null, new JsonObject())));

    assertEquals(new ApplyResult(8, 2, 0, 0), apply(group));
    app.awaitEvent(java.time.Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_CREATED)
        && id(run, "s2").equals(e.data().getString("provider_message_id")));
    TestApp.sleep(200);

    Row k = conversationOf(known);
    assertEquals(3, k.getInteger("unread_count"));
    assertEquals(id(run, "k2"), app.one("SELECT provider_message_id FROM messages WHERE id = $1",
        k.getUUID("last_message_id")).getString(0), "the newest message is the last, whatever the order of arrival");
    assertEquals(3L, count("SELECT count(*) FROM messages WHERE conversation_id = $1", k.getUUID("id")));

    Row c = conversationOf(closed);
    assertEquals("open", c.getString("status"));
    assertEquals(1L, count("SELECT count(*) FROM messages WHERE conversation_id = $1 AND direction = 'system' "
        + "AND content ->> 'event' = 'conversation.reopened'", c.getUUID("id")));

    assertEquals("Now Named", app.one("SELECT c.name FROM contacts c JOIN contact_identities ci ON ci.contact_id = c.id "
        + "WHERE ci.external_id = $1", nameless).getString(0));
    assertTrue(app.events(OrgEvent.CONTACT_UPDATED).stream()
        .anyMatch(e -> "Now Named".equals(e.data().getString("name"))));

    Row f = conversationOf(fresh);
    assertEquals(2, f.getInteger("unread_count"));
    assertEquals(1L, f.getLong("version"), "a new conversation is written once, its messages already counted");
    assertEquals(id(run, "f2"), app.one("SELECT provider_message_id FROM messages WHERE id = $1",
        f.getUUID("last_message_id")).getString(0));
    assertEquals(t0.plusSeconds(2).plus(java.time.Duration.ofHours(24)),
        f.getOffsetDateTime("window_expires_at").toInstant());
    assertEquals(1L, count("SELECT count(*) FROM contacts WHERE mobile_number = $1", "+" + fresh));
    assertEquals(1L, app.events(OrgEvent.CONTACT_CREATED).stream()
        .filter(e -> ("+" + fresh).equals(e.data().getString("mobile_number"))).count());
    assertEquals(1L, app.events(OrgEvent.CONVERSATION_CREATED).stream()
        .filter(e -> f.getUUID("id").toString().equals(e.data().getString("id"))).count());

    // two identities, one contact (by the organization's number), one conversation with both messages
    assertEquals(1L, count("SELECT count(DISTINCT contact_id) FROM contact_identities WHERE external_id IN ($1, $2)",
        "a" + shared, "b" + shared));
    Row s = conversationOf("a" + shared);
    assertEquals(2, s.getInteger("unread_count"));

    // every stored message was announced once, and the retry stored nothing
    assertEquals(8L, app.events(OrgEvent.MESSAGE_CREATED).stream()
        .filter(e -> String.valueOf(e.data().getString("provider_message_id")).contains(run)).count());
    assertEquals(1L, count("SELECT count(*) FROM messages WHERE provider_message_id = $1", id(run, "f2")));
  }

  @Test
  void aHundredNewSendersTakeAFewStatementsNotHundreds() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    List<Routed> group = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      String from = number(run, 100 + i);
      group.add(message(id(run, "m" + i), from, "Customer " + i, at));
      group.add(message(id(run, "r" + i), from, "Customer " + i, at.plusSeconds(1)));
    }
    double before = app.metric("vertx_sql_processing_time_seconds_count", null);
    assertEquals(new ApplyResult(200, 0, 0, 0), apply(group));
    double statements = app.metric("vertx_sql_processing_time_seconds_count", null) - before;
    // one by one, this is over 1,400 statements; set-based about ten (and a few from the background tasks)
    assertTrue(statements < 60, statements + " statements for 200 messages");

    assertEquals(200L, count("SELECT count(*) FROM messages WHERE provider_message_id LIKE $1", "wamid.set." + run + ".%"));
    assertEquals(100L, count("SELECT count(DISTINCT conversation_id) FROM messages WHERE provider_message_id LIKE $1",
        "wamid.set." + run + ".%"));
    Row one = conversationOf(number(run, 142));
    assertEquals(2, one.getInteger("unread_count"));
    assertEquals(id(run, "r42"), app.one("SELECT provider_message_id FROM messages WHERE id = $1",
        one.getUUID("last_message_id")).getString(0));
    assertNull(app.one("SELECT edited_at FROM messages WHERE provider_message_id = $1", id(run, "m42")).getValue(0));

    // the whole group again, as a provider retry: nothing new
    assertEquals(new ApplyResult(0, 200, 0, 0), apply(group));
  }

  @Test
  void aKnownSenderWithAnUnchangedProfileCostsNoIdentityWriteAndNoSeparateLock() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
    String customer = number(run, 700);
    apply(List.of(message(id(run, "m0"), customer, "Same Name", t0)));
    Row identity = app.one("SELECT updated_at, xmin::text FROM contact_identities WHERE external_id = $1", customer);

    double before = app.metric("vertx_sql_processing_time_seconds_count", null);
    assertEquals(new ApplyResult(1, 0, 0, 0), apply(List.of(message(id(run, "m1"), customer, "Same Name",
        t0.plusSeconds(1)))));
    double statements = app.metric("vertx_sql_processing_time_seconds_count", null) - before;
    // BEGIN, stored already?, senders with their conversations locked, the insert, the counters, COMMIT (one by one
    // it was ten; before the lookup took the lock and unchanged profiles were skipped, eight)
    assertTrue(statements <= 7, statements + " statements for one message from a known sender");
    Row after = app.one("SELECT updated_at, xmin::text FROM contact_identities WHERE external_id = $1", customer);
    assertEquals(identity.getString(1), after.getString(1), "an unchanged profile is not rewritten");
    assertEquals(2, conversationOf(customer).getInteger("unread_count"));

    apply(List.of(message(id(run, "m2"), customer, "New Name", t0.plusSeconds(2))));
    assertEquals("New Name", app.one("SELECT profile_name FROM contact_identities WHERE external_id = $1", customer)
        .getString(0), "a changed profile is written");
  }

  /**
   * Left to choose, PostgreSQL plans the projection's array statements anew on every execution (a quarter of the
   * statements' time at 1,000 msg/s); the projection's transaction runs them on their generic plans.
   */
  @Test
  void theProjectionsStatementsRunOnTheirGenericPlans() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
    String customer = number(run, 800);
    for (int i = 0; i < 6; i++) { // past the five custom plans PostgreSQL tries before it may settle on one
      apply(List.of(message(id(run, "g" + i), customer, "Generic", t0.plusSeconds(i))));
    }
    Row plans = direct.applyWith(new InboundBatch("whatsapp", List.of(message(id(run, "g6"), customer, "Generic",
            t0.plusSeconds(6)))),
        "SELECT current_setting('plan_cache_mode'), coalesce(sum(custom_plans), 0)::int FROM pg_prepared_statements "
            + "WHERE statement LIKE 'SELECT k.i FROM unnest(%'");
    assertEquals("force_generic_plan", plans.getString(0));
    assertEquals(0, plans.getInteger(1), "the existence check was planned for its values on this connection");
    assertEquals(7, conversationOf(customer).getInteger("unread_count"));
  }

  @Test
  void aMessageAnotherTransactionStoresFirstIsCountedOnceInItsConversation() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
    String customer = number(run, 800);
    apply(List.of(message(id(run, "m0"), customer, "Customer", t0)));
    Row conversation = conversationOf(customer);
    assertEquals(1, conversation.getInteger("unread_count"));

    // another transaction holds an uncommitted row with the provider id of one of the group's messages: the
    // group's check for stored messages does not see it, its insert waits for it and then skips it
    var other = app.parley.pool().getConnection().await();
    try {
      other.query("BEGIN").execute().await();
      other.preparedQuery("INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, "
              + "body, provider_message_id, sender_type, status, sent_at) "
              + "VALUES ($1, $2, $3, $4, 'inbound', 'text', 'first', $5, 'contact', 'received', $6)")
          .execute(io.vertx.sqlclient.Tuple.of(UUID.randomUUID(), channel.organizationId(), conversation.getUUID("id"),
              channel.id(), id(run, "m2"), t0.plusSeconds(2).atOffset(java.time.ZoneOffset.UTC)))
          .await();
      var group = java.util.concurrent.CompletableFuture.supplyAsync(() -> apply(List.of(
          message(id(run, "m1"), customer, "Customer", t0.plusSeconds(1)),
          message(id(run, "m2"), customer, "Customer", t0.plusSeconds(2)))));
      TestApp.sleep(300);
      other.query("COMMIT").execute().await();
      assertEquals(new ApplyResult(1, 1, 0, 0), group.get(10, java.util.concurrent.TimeUnit.SECONDS));
    } finally {
      other.close().await();
    }
    Row after = conversationOf(customer);
    assertEquals(2, after.getInteger("unread_count"), "counted: m0 and m1; m2 was stored by the other transaction");
    assertEquals(id(run, "m2"), app.one("SELECT provider_message_id FROM messages WHERE id = $1",
        after.getUUID("last_message_id")).getString(0), "the last message is the newest stored");
    assertEquals(3L, count("SELECT count(*) FROM messages WHERE conversation_id = $1", conversation.getUUID("id")));
  }

  @Test
  void aGroupOfStatusesMovesEachMessageOnceAndOnlyForward() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(30);
    String customer = number(run, 900);
    apply(List.of(message(id(run, "in"), customer, "Customer", t0)));
    Row conversation = conversationOf(customer);
    for (String name : List.of("a", "b", "c")) {
      app.one("INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, "
              + "provider_message_id, sender_type, status, sent_at) "
              + "VALUES ($1, $2, $3, $4, 'outbound', 'text', 'reply', $5, 'agent', 'sent', now()) RETURNING id",
          UUID.randomUUID(), channel.organizationId(), conversation.getUUID("id"), channel.id(), id(run, name));
    }
    app.events.clear();

    List<Routed> group = List.of(
        status(id(run, "a"), "delivered", t0.plusSeconds(1), null),
        status(id(run, "a"), "read", t0.plusSeconds(2), null),
        status(id(run, "b"), "read", t0.plusSeconds(2), null),
        status(id(run, "b"), "delivered", t0.plusSeconds(1), null),   // late: recorded, never moves it back
        status(id(run, "b"), "delivered", t0.plusSeconds(1), null),   // the same again: a duplicate
        status(id(run, "c"), "failed", t0.plusSeconds(1), 131026),
        status(id(run, "unknown"), "delivered", t0.plusSeconds(1), null));

    double before = app.metric("vertx_sql_processing_time_seconds_count", null);
    assertEquals(new ApplyResult(5, 1, 1, 0), apply(group));
    double statements = app.metric("vertx_sql_processing_time_seconds_count", null) - before;
    assertTrue(statements < 20, statements + " statements");

    assertEquals("read", statusOf(id(run, "a")));
    assertEquals("read", statusOf(id(run, "b")));
    assertEquals("failed", statusOf(id(run, "c")));
    assertEquals(131026, app.one("SELECT error_code FROM messages WHERE provider_message_id = $1", id(run, "c"))
        .getInteger(0));
    assertEquals(2L, count("SELECT count(*) FROM message_status_history h JOIN messages m ON m.id = h.message_id "
        + "WHERE m.provider_message_id = $1", id(run, "b")));
    assertEquals(1L, count("SELECT count(*) FROM pending_statuses WHERE provider_message_id = $1", id(run, "unknown")));

    app.awaitEvent(java.time.Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_UPDATED)
        && id(run, "c").equals(e.data().getString("provider_message_id")));
    TestApp.sleep(200);
    List<String> updates = app.events(OrgEvent.MESSAGE_UPDATED).stream()
        .map(e -> e.data().getString("provider_message_id") + " " + e.data().getString("status"))
        .sorted().toList();
    assertEquals(List.of(id(run, "a") + " read", id(run, "b") + " read", id(run, "c") + " failed"), updates);

    // the provider repeats the whole webhook: nothing moves, nothing is announced
    app.events.clear();
    assertEquals(new ApplyResult(0, 6, 1, 0), apply(group));
    TestApp.sleep(200);
    assertEquals(List.of(), app.events(OrgEvent.MESSAGE_UPDATED));
  }

  private static Routed status(String providerMessageId, String status, Instant at, Integer errorCode) {
    return new Routed(channel, new InboundEvent.Status(channel.externalId(), providerMessageId, status, at,
        "15550000000", errorCode, errorCode == null ? null : "Message undeliverable", new JsonObject()));
  }

  private static String statusOf(String providerMessageId) {
    return app.one("SELECT status FROM messages WHERE provider_message_id = $1", providerMessageId).getString(0);
  }

  private static ApplyResult apply(List<Routed> events) {
    return direct.apply(new InboundBatch("whatsapp", events));
  }

  private static Row conversationOf(String externalId) {
    return app.one("SELECT c.* FROM conversations c JOIN contact_identities ci ON ci.contact_id = c.contact_id "
        + "WHERE ci.external_id = $1 AND c.channel_id = ci.channel_id", externalId);
  }

  private static long count(String sql, Object... params) {
    return app.one(sql, params).getLong(0);
  }

  private static Routed message(String id, String from, String name, Instant at) {
    var sender = new InboundEvent.Sender(from, "+" + from, null, name, null);
    return new Routed(channel, new InboundEvent.Message(channel.externalId(), id, at, sender, "text", "hello " + id,
        new JsonObject().put("text", "hello " + id), null, new JsonObject()));
  }

  private static String id(String run, String name) {
    return "wamid.set." + run + "." + name;
  }

  /** A valid German mobile number, distinct per run and {@code n}. */
  private static String number(String run, int n) {
    return "49151" + String.format("%04d", Math.abs(run.hashCode()) % 10_000) + String.format("%04d", n);
  }
}

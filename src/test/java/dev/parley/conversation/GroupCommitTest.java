package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.Addresses;
import dev.parley.channel.Channel;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.testing.TestApp;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks that arrive together share a transaction, yet each is answered on its own: with its own counts, and
 * with 503 only for the one that cannot be stored.
 */
class GroupCommitTest {
  private static TestApp app;
  private static Channel channel;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    channel = app.channel();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void concurrentWebhooksShareCommitsAndAreAnsweredApart() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<InboundBatch> batches = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      batches.add(batch(channel, "wamid.group." + run + "." + i, "49151" + String.format("%07d", i)));
    }
    batches.add(batch(channel, "wamid.group." + run + ".0", "491510000000")); // a retry beside its first delivery
    var unknown = new Channel(UUID.randomUUID(), channel.organizationId(), "whatsapp", "Gone", "999", true, null);
    batches.add(batch(unknown, "wamid.group." + run + ".lost", "4915199999999")); // cannot be stored

    var bus = app.parley.vertx().eventBus();
    List<Future<ApplyResult>> replies = batches.stream()
        .map(batch -> bus.<ApplyResult>request(Addresses.CONVERSATION_APPLY_INBOUND, batch).map(reply -> reply.body()))
        .toList();
    Future.join(replies).otherwiseEmpty().await();

    for (int i = 1; i < 40; i++) {
      assertEquals(new ApplyResult(1, 0, 0, 0), replies.get(i).result(), "webhook " + i);
    }
    // the first delivery and its retry: one of them stored it, the other found it stored
    ApplyResult first = replies.get(0).result();
    ApplyResult retry = replies.get(40).result();
    assertEquals(1, first.applied() + retry.applied());
    assertEquals(1, first.duplicates() + retry.duplicates());
    ReplyException refused = (ReplyException) replies.get(41).cause();
    assertEquals(503, refused.failureCode());

    assertEquals(40L, app.one("SELECT count(*) FROM messages WHERE provider_message_id LIKE $1",
        "wamid.group." + run + ".%").getLong(0));
    String metrics = app.get("/metrics").bodyAsString();
    Matcher largest = Pattern.compile("(?m)^parley_inbound_group_webhooks_max (\\S+)$").matcher(metrics);
    assertTrue(largest.find(), metrics);
    assertTrue(Double.parseDouble(largest.group(1)) > 1, "no two webhooks ever shared a transaction");
  }

  private static InboundBatch batch(Channel to, String id, String from) {
    Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    var sender = new InboundEvent.Sender(from, "+" + from, null, "Customer " + from, null);
    var message = new InboundEvent.Message(to.externalId(), id, at, sender, "text", "hello",
        new JsonObject().put("text", "hello"), null, new JsonObject());
    return new InboundBatch("whatsapp", List.of(new Routed(to, message)));
  }
}

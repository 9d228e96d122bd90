package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.channel.Channel;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
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
 * Webhooks that arrive together share an inbound-log commit and a projection transaction, yet each is acknowledged
 * on its own; an entry the projection cannot apply is set aside without holding up the others.
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
  void concurrentWebhooksShareCommitsAndAreAcknowledgedApart() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String from = "49151" + String.format("%07d", i);
      bodies.add(WhatsAppPayloads.text(from, "Customer " + i, "wamid.group." + run + "." + i, TestApp.now(), "hello"));
    }
    bodies.add(bodies.get(0)); // a retry beside its first delivery
    List<Future<HttpResponse<Buffer>>> answers = bodies.stream().map(body -> app.http
        .post(app.parley.httpPort(), "127.0.0.1", app.webhookPath())
        .putHeader("content-type", "application/json")
        .putHeader("X-Hub-Signature-256", Fixtures.sign(body, TestApp.APP_SECRET))
        .sendBuffer(Buffer.buffer(body))).toList();
    Future.join(answers).await();
    answers.forEach(answer -> assertEquals(200, answer.result().statusCode(), answer.result().bodyAsString()));
    app.settled();

    assertEquals(40L, app.one("SELECT count(*) FROM messages WHERE provider_message_id LIKE $1",
        "wamid.group." + run + ".%").getLong(0));
    assertTrue(app.metric("parley_inbound_log_webhooks_max", null) > 1, "no two webhooks ever shared a log commit");
  }

  @Test
  void anEntryThatCannotBeProjectedIsSetAsideAndTheOthersGoOn() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    var gone = new Channel(UUID.randomUUID(), channel.organizationId(), "whatsapp", "Gone", "999", true, null);
    List<Future<Long>> appended = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Channel to = i == 5 ? gone : channel; // no such channel: its conversation cannot be stored
      String id = "wamid.poison." + run + "." + i;
      String body = WhatsAppPayloads.text("4915200000" + i, "Customer", id, TestApp.now(), "hello");
      appended.add(app.parley.inboundLog().append(to, Instant.now().truncatedTo(ChronoUnit.MICROS),
          Buffer.buffer(body), batch(to, id, "4915200000" + i)));
    }
    Future.all(appended).await();
    app.settled();

    assertEquals(9L, app.one("SELECT count(*) FROM messages WHERE provider_message_id LIKE $1",
        "wamid.poison." + run + ".%").getLong(0));
    long poisoned = appended.get(5).result();
    assertEquals(1L, app.one("SELECT count(*) FROM inbound_failures WHERE log_id = $1", poisoned).getLong(0));
    assertEquals(1.0, app.metric("parley_inbound_projection_failures_total", null));
    long lastPosition = appended.get(9).result();
    assertTrue(app.one("SELECT max(position) FROM inbound_projection").getLong(0) >= lastPosition);
  }

  private static InboundBatch batch(Channel to, String id, String from) {
    Instant at = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    var sender = new InboundEvent.Sender(from, "+" + from, null, "Customer " + from, null);
    var message = new InboundEvent.Message(to.externalId(), id, at, sender, "text", "hello",
        new JsonObject().put("text", "hello"), null, new JsonObject());
    return new InboundBatch("whatsapp", List.of(new Routed(to, message)));
  }
}

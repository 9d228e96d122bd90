package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.provider.HubSignature;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** Status and customer webhooks: Meta's envelope, the signature, disorder, retries and a receiver that restarts. */
class SimulatorWebhooksTest extends SimulatorTestBase {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @Test
  void statusWebhooksAreSignedAndShapedLikeMetas() {
    customerWrites(CUSTOMER);
    receiver.clear();
    String wamid = SimulatorFaultsTest.wamid(send(text(CUSTOMER, "Your table is ready")
        .put("biz_opaque_callback_data", "order-1042")));
    WebhookReceiver.await(WAIT, "sent, delivered, read", () -> receiver.statusesOf(wamid).size() == 3);
    assertEquals(List.of("sent", "delivered", "read"), receiver.statusesOf(wamid));

    for (WebhookReceiver.Received post : receiver.received) {
      assertTrue(HubSignature.matches(post.signature(), post.body().getBytes(), APP_SECRET), "signed: " + post.signature());
      assertFalse(HubSignature.matches(post.signature(), post.body().getBytes(), "another-secret"));
      assertEquals("facebookexternalua", post.userAgent());
      JsonObject json = post.json();
      assertEquals("whatsapp_business_account", json.getString("object"));
      JsonObject entry = json.getJsonArray("entry").getJsonObject(0);
      assertEquals(number().wabaId(), entry.getString("id"));
      assertEquals("messages", entry.getJsonArray("changes").getJsonObject(0).getString("field"));
      JsonObject value = post.value();
      assertEquals("whatsapp", value.getString("messaging_product"));
      assertEquals(PHONE_NUMBER_ID, value.getJsonObject("metadata").getString("phone_number_id"));
      assertEquals(number().displayPhoneNumber(), value.getJsonObject("metadata").getString("display_phone_number"));
    }
    List<JsonObject> statuses = receiver.statuses();
    for (JsonObject status : statuses) {
      assertEquals(wamid, status.getString("id"));
      assertEquals(CUSTOMER, status.getString("recipient_id"));
      assertEquals("order-1042", status.getString("biz_opaque_callback_data"), "echoed on every status");
      long timestamp = Long.parseLong(status.getString("timestamp"));
      assertTrue(Math.abs(timestamp - System.currentTimeMillis() / 1000) < 30, "Unix seconds, as a string");
      JsonObject pricing = status.getJsonObject("pricing");
      assertEquals("PMP", pricing.getString("pricing_model"));
      assertEquals("service", pricing.getString("category"));
    }
    JsonObject conversation = statuses.get(0).getJsonObject("conversation");
    assertEquals(32, conversation.getString("id").length());
    assertNotNull(conversation.getString("expiration_timestamp"));
    assertEquals("service", conversation.getJsonObject("origin").getString("type"));
    assertNull(statuses.get(1).getValue("conversation"), "the conversation object comes with sent");
    assertEquals(3, simulator.stats(PHONE_NUMBER_ID).statusesDelivered());
  }

  @Test
  void templatesArePricedByTheirCategoryAndReactionsGetOnlySent() throws InterruptedException {
    String template = SimulatorFaultsTest.wamid(send(GraphMessagesTest.orderUpdate("Ana", "#1042", "1042")));
    customerWrites(CUSTOMER);
    String reaction = SimulatorFaultsTest.wamid(send(GraphMessagesTest.envelope("reaction").put("reaction",
        new JsonObject().put("message_id", template).put("emoji", "\uD83D\uDC4D"))));
    WebhookReceiver.await(WAIT, "statuses", () -> receiver.statusesOf(template).size() == 3
        && receiver.statusesOf(reaction).size() == 1);
    Thread.sleep(300); // later than delivered and read would come
    assertEquals(List.of("sent"), receiver.statusesOf(reaction));
    JsonObject sent = receiver.statuses().stream().filter(s -> s.getString("id").equals(template)).findFirst().orElseThrow();
    assertEquals("utility", sent.getJsonObject("pricing").getString("category"));
    assertEquals("regular", sent.getJsonObject("pricing").getString("type"));
    assertEquals("utility", sent.getJsonObject("conversation").getJsonObject("origin").getString("type"));
  }

  @Test
  void disorderedDeliveryStillCarriesEveryStatus() {
    simulator.configure(options -> options.batchProbability(1).shuffleProbability(1).duplicateProbability(1));
    simulator.registerNumber(number().withEnforceWindow(false).withThroughput(1000));
    List<String> wamids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      wamids.add(SimulatorFaultsTest.wamid(send(text("1650557" + (1000 + i), "message " + i))));
    }
    WebhookReceiver.await(WAIT, "every status and its duplicate", () -> receiver.statuses().size() == 120);
    int overtaken = 0;
    for (String wamid : wamids) {
      List<String> arrived = receiver.statusesOf(wamid);
      assertEquals(Set.of("sent", "delivered", "read"), new HashSet<>(arrived), wamid);
      assertEquals(6, arrived.size(), "each status twice: " + arrived);
      overtaken += arrived.indexOf("read") < arrived.indexOf("delivered") ? 1 : 0;
    }
    // read is due before delivered; only statuses that fall due in the same tick may still come in either order
    assertTrue(overtaken > 0, "read overtook delivered");
    assertTrue(receiver.received.stream().anyMatch(post -> post.value().getJsonArray("statuses").size() > 1),
        "several statuses in one POST");
    receiver.received.forEach(post ->
        assertTrue(HubSignature.matches(post.signature(), post.body().getBytes(), APP_SECRET)));
  }

  @Test
  void failedDeliveriesAreRetriedUntilTheWebhookAnswers2xx() {
    customerWrites(CUSTOMER);
    receiver.clear();
    receiver.failNext(4);
    String wamid = SimulatorFaultsTest.wamid(send(text(CUSTOMER, "retry me")));
    WebhookReceiver.await(WAIT, "every status despite failures", () -> receiver.statusesOf(wamid).size() == 3);
    NumberStats stats = simulator.stats(PHONE_NUMBER_ID);
    assertTrue(stats.webhookFailures() >= 4, "failed attempts counted: " + stats.webhookFailures());
    assertEquals(0, stats.webhooksDropped());
  }

  @Test
  void statusesArriveAfterTheReceiverRestarts() {
    HttpServer down = vertx.createHttpServer().requestHandler(r -> r.response().end());
    int port = down.listen(0, "127.0.0.1").await().actualPort();
    down.close().await();
    String url = "http://127.0.0.1:" + port + "/webhooks/whatsapp/restarting";
    simulator.registerNumber(SimulatedNumber.of("300000000000001", TOKEN, APP_SECRET, url).withEnforceWindow(false));
    String wamid = SimulatorFaultsTest.wamid(send("300000000000001", TOKEN, text(CUSTOMER, "while you were away")));
    WebhookReceiver.await(WAIT, "failed attempts", () -> simulator.stats("300000000000001").webhookFailures() >= 3);

    ConcurrentLinkedQueue<JsonObject> arrived = new ConcurrentLinkedQueue<>();
    HttpServer restarted = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      new JsonObject(body).getJsonArray("entry").getJsonObject(0).getJsonArray("changes").getJsonObject(0)
          .getJsonObject("value").getJsonArray("statuses").forEach(s -> arrived.add((JsonObject) s));
      request.response().end();
    }));
    restarted.listen(port, "127.0.0.1").await();
    try {
      WebhookReceiver.await(WAIT, "the statuses after the restart", () -> arrived.size() >= 3);
      assertEquals(Set.of("sent", "delivered", "read"),
          new HashSet<>(arrived.stream().filter(s -> s.getString("id").equals(wamid)).map(s -> s.getString("status")).toList()));
    } finally {
      restarted.close().await();
    }
  }

  @Test
  void customerMessagesCarryTheProfileAndEscapeNonAsciiLikeMeta() {
    CustomerMessage written = simulator.customerWrites(PHONE_NUMBER_ID, CUSTOMER, "Zoë", "Olá, ação 😀").await();
    assertTrue(written.wamid().startsWith("wamid."));
    WebhookReceiver.Received post = receiver.received.peek();
    assertNotNull(post);
    String raw = post.body().toString(StandardCharsets.UTF_8);
    assertTrue(raw.contains("Ol\\u00e1, a\\u00e7\\u00e3o \\ud83d\\ude00"), "escaped as Meta does: " + raw);
    assertTrue(raw.chars().allMatch(c -> c < 0x80), "pure ASCII on the wire");
    assertTrue(HubSignature.matches(post.signature(), post.body().getBytes(), APP_SECRET));
    JsonObject value = post.value();
    JsonObject contact = value.getJsonArray("contacts").getJsonObject(0);
    assertEquals("Zoë", contact.getJsonObject("profile").getString("name"));
    assertEquals(CUSTOMER, contact.getString("wa_id"));
    JsonObject message = value.getJsonArray("messages").getJsonObject(0);
    assertEquals(CUSTOMER, message.getString("from"));
    assertEquals(written.wamid(), message.getString("id"));
    assertEquals("text", message.getString("type"));
    assertEquals("Olá, ação 😀", message.getJsonObject("text").getString("body"));
    assertTrue(message.getString("timestamp").matches("[0-9]{10}"));

    CustomerMessage reaction = simulator.customerReacts(PHONE_NUMBER_ID, CUSTOMER, written.wamid(), "❤").await();
    JsonObject reacted = receiver.messages().stream().filter(m -> m.getString("id").equals(reaction.wamid()))
        .findFirst().orElseThrow();
    assertEquals("reaction", reacted.getString("type"));
    assertEquals(written.wamid(), reacted.getJsonObject("reaction").getString("message_id"));
    assertEquals("Zoë", receiver.received.stream().reduce((a, b) -> b).orElseThrow().value().getJsonArray("contacts")
        .getJsonObject(0).getJsonObject("profile").getString("name"), "the profile name is remembered");
  }
}

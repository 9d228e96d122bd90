package dev.parley.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.simulator.AcceptedMessage;
import dev.parley.simulator.NumberStats;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.simulator.SimulatorOptions;
import dev.parley.testing.TestApp;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Outbound dispatch against the provider simulator only: the status machine under shuffled and repeated status
 * webhooks, retries and final failures with their actions, pacing measured at the simulator, and a dispatcher
 * killed mid-flight that on restart neither loses nor double-sends a message.
 */
@Tag("e2e")
class DispatchTest {
  private static final String TOKEN = "sim-access-token";
  private Vertx simVertx;
  private ProviderSimulator sim;
  private int port;
  private final List<TestApp> apps = new ArrayList<>();

  @BeforeEach
  void startSimulator() throws IOException {
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    simVertx = Vertx.vertx();
    sim = ProviderSimulator.start(simVertx, new SimulatorOptions()
        .sentDelay(Duration.ofMillis(50)).deliveredDelay(Duration.ofMillis(150)).readDelay(Duration.ofMillis(300))
        .webhookRetryBase(Duration.ofMillis(200)).webhookRetryMax(Duration.ofSeconds(1))
        .shuffleProbability(0).duplicateProbability(0)).await();
    number(80, true);
  }

  @AfterEach
  void stop() {
    apps.forEach(TestApp::close);
    sim.close().await();
    simVertx.close().await();
  }

  private void number(int throughput, boolean enforceWindow) {
    sim.registerNumber(new SimulatedNumber(TestApp.PHONE_NUMBER_ID, "15550001111", TOKEN, TestApp.APP_SECRET,
        "http://127.0.0.1:" + port + "/webhooks/whatsapp/" + TestApp.CHANNEL_ID, "waba-dispatch-test", throughput,
        enforceWindow));
  }

  private Map<String, String> settings(Map<String, String> extra) {
    var settings = new HashMap<>(Map.of(
        "PARLEY_HTTP_PORT", Integer.toString(port),
        "PARLEY_SIMULATOR_ENABLED", "false",
        "PARLEY_DISPATCH_RETRY_BASE", "PT0.2S",
        "PARLEY_DISPATCH_POLL_INTERVAL", "PT0.2S",
        "PARLEY_DISPATCH_RECONCILE_GRACE", "PT2S"));
    settings.putAll(extra);
    return settings;
  }

  private TestApp start(Map<String, String> extra) {
    TestApp app = TestApp.start(settings(extra));
    apps.add(app);
    app.sql("UPDATE channels SET credentials = credentials || $2 WHERE id = $1", TestApp.CHANNEL_ID,
        new JsonObject().put("access_token", TOKEN).put("api_base_url", sim.baseUrl()));
    return app;
  }

  /** A customer writes through the simulator (which opens its window); answers the conversation id. */
  private static UUID customerWrites(TestApp app, ProviderSimulator sim, String waId) {
    sim.customerWrites(TestApp.PHONE_NUMBER_ID, waId, "Customer " + waId, "Hello from " + waId).await();
    app.settled();
    return app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = $1", "+" + waId).getUUID("id");
  }

  private static JsonObject text(String body) {
    return new JsonObject().put("type", "text").put("text", new JsonObject().put("body", body));
  }

  private static String send(TestApp app, String key, UUID conversation, JsonObject message) {
    HttpResponse<Buffer> response = app.sendMessage(conversation, message, null, key);
    assertEquals(202, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getString("id");
  }

  private static Row message(TestApp app, String id) {
    return app.one("SELECT status, provider_message_id, error_code, error_title FROM messages WHERE id = $1::uuid", id);
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      TestApp.sleep(50);
    }
  }

  private static void awaitStatus(TestApp app, String id, Set<String> statuses, Duration timeout) {
    await("message " + id + " to be " + statuses, timeout, () -> statuses.contains(message(app, id).getString("status")));
  }

  private List<AcceptedMessage> acceptedFor(String messageId) {
    return sim.stats(TestApp.PHONE_NUMBER_ID).messages().stream()
        .filter(m -> messageId.equals(m.bizOpaqueCallbackData())).toList();
  }

  @Test
  void aReplyGoesFromPendingToReadWithTheProvidersIdAndHistory() {
    TestApp app = start(Map.of());
    String key = app.apiKey("dispatch");
    UUID conversation = customerWrites(app, sim, "447700800001");
    String inbound = app.one("SELECT id FROM messages WHERE conversation_id = $1 AND direction = 'inbound'",
        conversation).getUUID("id").toString();
    String id = send(app, key, conversation, text("Thanks, on it").put("reply_to", inbound));
    awaitStatus(app, id, Set.of("read"), Duration.ofSeconds(10));
    List<AcceptedMessage> accepted = acceptedFor(id);
    assertEquals(1, accepted.size(), "sent exactly once");
    assertEquals(accepted.get(0).wamid(), message(app, id).getString("provider_message_id"));
    JsonObject request = accepted.get(0).body();
    assertEquals("447700800001", request.getString("to"));
    assertEquals("Thanks, on it", request.getJsonObject("text").getString("body"));
    assertTrue(request.getJsonObject("context").getString("message_id").startsWith("wamid."), request.encode());
    List<String> history = app.sql("SELECT status FROM message_status_history WHERE message_id = $1::uuid "
        + "ORDER BY provider_timestamp, id", id).stream().map(row -> row.getString("status")).toList();
    assertEquals(List.of("sent", "delivered", "read"), history);
    JsonObject thread = app.api(HttpMethod.GET, "/api/v1/conversations/" + conversation + "/messages", null,
        app.adminToken()).bodyAsJsonObject();
    JsonObject shown = thread.getJsonArray("data").getJsonObject(0);
    assertEquals(id, shown.getString("id"));
    assertEquals("read", shown.getString("status"));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM outbound_queue").getLong("n"));
  }

  @Test
  void outsideTheWindowAnApprovedTemplateGoesOutWithItsParametersFilled() {
    TestApp app = start(Map.of());
    app.sql("UPDATE channels SET credentials = credentials || $2 WHERE id = $1", TestApp.CHANNEL_ID,
        new JsonObject().put("waba_id", "waba-dispatch-test"));
    String admin = app.adminToken();
    var synced = app.postJson("/api/v1/channels/" + TestApp.CHANNEL_ID + "/templates/sync", new JsonObject(), admin);
    assertEquals(200, synced.statusCode(), synced.bodyAsString());
    String key = app.apiKey("dispatch");
    UUID conversation = customerWrites(app, sim, "447700860001");
    app.sql("UPDATE conversations SET window_expires_at = now() - interval '1 minute' WHERE id = $1", conversation);
    var refused = app.sendMessage(conversation, text("free text"), null, key);
    assertEquals("window_closed", TestApp.errorCode(refused));
    JsonObject template = new JsonObject().put("type", "template").put("template", new JsonObject()
        .put("name", "order_update").put("language", new JsonObject().put("code", "en_US"))
        .put("components", new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "body")
            .put("parameters", new io.vertx.core.json.JsonArray()
                .add(new JsonObject().put("type", "text").put("text", "Ada"))
                .add(new JsonObject().put("type", "text").put("text", "#1042"))))
            .add(new JsonObject().put("type", "button").put("sub_type", "url").put("index", "0")
                .put("parameters", new io.vertx.core.json.JsonArray()
                    .add(new JsonObject().put("type", "text").put("text", "1042"))))));
    var missing = app.sendMessage(conversation, new JsonObject().put("type", "template").put("template",
        template.getJsonObject("template").copy().put("components", new io.vertx.core.json.JsonArray())), null, key);
    assertEquals(422, missing.statusCode(), missing.bodyAsString());
    String id = send(app, key, conversation, template);
    String body = message(app, id).getString("status");
    assertTrue(Set.of("pending", "sent", "delivered", "read").contains(body));
    assertTrue(app.one("SELECT body FROM messages WHERE id = $1::uuid", id).getString("body").contains("#1042"));
    awaitStatus(app, id, Set.of("sent", "delivered", "read"), Duration.ofSeconds(10));
    assertEquals("order_update", acceptedFor(id).get(0).body().getJsonObject("template").getString("name"));
  }

  @Test
  void shuffledRepeatedStatusWebhooksNeverMoveAMessageBackwards() {
    sim.configure(options -> options.shuffleProbability(1.0).duplicateProbability(1.0).batchProbability(0.5));
    TestApp app = start(Map.of());
    String key = app.apiKey("dispatch");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      UUID conversation = customerWrites(app, sim, "44770081000" + i);
      ids.add(send(app, key, conversation, text("Update " + i)));
    }
    for (String id : ids) {
      awaitStatus(app, id, Set.of("read"), Duration.ofSeconds(15));
    }
    TestApp.sleep(1000); // late duplicates and reordered statuses keep arriving
    for (String id : ids) {
      assertEquals("read", message(app, id).getString("status"));
      assertEquals(1, acceptedFor(id).size());
      assertEquals(3L, app.one("SELECT count(*) AS n FROM message_status_history WHERE message_id = $1::uuid", id)
          .getLong("n"), "each status recorded once");
    }
  }

  @Test
  void retryableErrorsAreRetriedAndFinalOnesFailWithTheCodeAndAnAction() {
    sim.configure(options -> options.unreachableWaIds(Set.of("447700820003")));
    TestApp app = start(Map.of());
    String key = app.apiKey("dispatch");

    UUID limited = customerWrites(app, sim, "447700820001");
    sim.failNext(TestApp.PHONE_NUMBER_ID, 130429, 2);
    String retried = send(app, key, limited, text("Worth the wait"));
    awaitStatus(app, retried, Set.of("sent", "delivered", "read"), Duration.ofSeconds(15));
    assertEquals(1, acceptedFor(retried).size());

    UUID broken = customerWrites(app, sim, "447700820002");
    sim.failNext(TestApp.PHONE_NUMBER_ID, 131009, 1);
    String invalid = send(app, key, broken, text("Refused for good"));
    awaitStatus(app, invalid, Set.of("failed"), Duration.ofSeconds(10));
    assertEquals(131009, message(app, invalid).getInteger("error_code"));
    JsonObject shown = shown(app, broken, invalid);
    assertEquals("contact_support", shown.getString("error_action"));
    assertTrue(acceptedFor(invalid).isEmpty());

    UUID unreachable = customerWrites(app, sim, "447700820003");
    String lost = send(app, key, unreachable, text("Nobody home"));
    awaitStatus(app, lost, Set.of("failed"), Duration.ofSeconds(10));
    assertEquals(131026, message(app, lost).getInteger("error_code"));
    assertEquals("unreachable", shown(app, unreachable, lost).getString("error_action"));

    // Parley thinks the window is open, the provider does not: 131047 arrives with the failed status
    UUID stale = customerWrites(app, sim, "447700820004");
    sim.configure(options -> options.serviceWindow(Duration.ofMillis(1)));
    String late = send(app, key, stale, text("Too late for free text"));
    awaitStatus(app, late, Set.of("failed"), Duration.ofSeconds(10));
    assertEquals(131047, message(app, late).getInteger("error_code"));
    assertEquals("send_template", shown(app, stale, late).getString("error_action"));
  }

  private static JsonObject shown(TestApp app, UUID conversation, String id) {
    return app.api(HttpMethod.GET, "/api/v1/conversations/" + conversation + "/messages", null, app.adminToken())
        .bodyAsJsonObject().getJsonArray("data").stream().map(JsonObject.class::cast)
        .filter(m -> id.equals(m.getString("id"))).findFirst().orElseThrow();
  }

  @Test
  void aBurstNeverExceedsTheNumbersRateOrTheRecipientsPaceAtTheProvider() {
    number(80, false);
    sim.configure(options -> options.pairBurst(5).pairInterval(Duration.ofMillis(500)).readProbability(0));
    TestApp app = start(Map.of("PARLEY_DISPATCH_RECIPIENT_BURST", "4", "PARLEY_DISPATCH_RECIPIENT_INTERVAL", "PT0.6S"));
    String key = app.apiKey("bulk");
    List<UUID> conversations = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      conversations.add(customerWrites(app, sim, String.format("4477008300%02d", i)));
    }
    sim.reset();
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (UUID conversation : conversations) {
        calls.add(app.http.post(port, "127.0.0.1", "/api/v1/conversations/" + conversation + "/messages")
            .putHeader("Authorization", "Bearer " + key).sendJsonObject(text("Round " + round)));
      }
    }
    // the order Parley accepted each conversation's messages in (the calls race each other: their order on the
    // wire is not theirs to keep)
    Map<String, List<String>> accepted = new java.util.HashMap<>();
    List<JsonObject> answers = new ArrayList<>();
    for (var call : calls) {
      HttpResponse<Buffer> answer = call.await();
      assertEquals(202, answer.statusCode());
      answers.add(answer.bodyAsJsonObject());
    }
    answers.stream()
        .sorted(java.util.Comparator.comparing((JsonObject m) -> Instant.parse(m.getString("sent_at"))))
        .forEach(m -> accepted.computeIfAbsent(m.getString("conversation_id"), k -> new ArrayList<>())
            .add(m.getString("body")));
    await("200 messages accepted", Duration.ofSeconds(60),
        () -> sim.stats(TestApp.PHONE_NUMBER_ID).accepted() >= 200);
    NumberStats stats = sim.stats(TestApp.PHONE_NUMBER_ID);
    assertEquals(200, stats.accepted());
    assertEquals(0, stats.rateLimited(), "Parley never trips the number's throughput limit (130429)");
    assertEquals(0, stats.pairRateLimited(), "nor the pair limit (131056)");
    assertTrue(stats.maxPerSecond() <= 80, "at most 80 sends in any second, saw " + stats.maxPerSecond());
    // one recipient gets its messages in the order Parley accepted them
    Map<String, List<String>> byRecipient = stats.messages().stream().collect(Collectors.groupingBy(
        AcceptedMessage::waId, Collectors.mapping(m -> m.body().getJsonObject("text").getString("body"),
            Collectors.toList())));
    assertEquals(40, byRecipient.size());
    for (int i = 0; i < conversations.size(); i++) {
      List<String> order = accepted.get(conversations.get(i).toString());
      assertEquals(Set.of("Round 0", "Round 1", "Round 2", "Round 3", "Round 4"), Set.copyOf(order));
      assertEquals(order, byRecipient.get(String.format("4477008300%02d", i)), "recipient " + i);
    }
  }

  @Test
  void aDispatcherKilledMidFlightResumesWithoutLosingOrDoubleSendingAnything() {
    sim.configure(options -> options.sentDelay(Duration.ofSeconds(2)));
    var settings = Map.of("PARLEY_DISPATCH_LEASE", "PT1S", "PARLEY_DISPATCH_RECONCILE_GRACE", "PT20S");
    TestApp first = start(settings);
    String key = first.apiKey("dispatch");
    List<String> ids = new ArrayList<>();
    List<UUID> conversations = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      conversations.add(customerWrites(first, sim, "44770084000" + i));
    }
    // the provider takes five messages but never answers: the dispatcher dies waiting, not knowing
    sim.hangNext(TestApp.PHONE_NUMBER_ID, 5);
    for (UUID conversation : conversations) {
      ids.add(send(first, key, conversation, text("Before the crash")));
    }
    await("all eight at the provider", Duration.ofSeconds(10), () -> sim.stats(TestApp.PHONE_NUMBER_ID).accepted() == 8);
    first.stop(); // the node dies with five calls in flight; their status webhooks come while it is down

    TestApp second = TestApp.join(first, settings(settings));
    apps.add(second);
    for (String id : ids) {
      awaitStatus(second, id, Set.of("sent", "delivered", "read"), Duration.ofSeconds(30));
    }
    for (String id : ids) {
      List<AcceptedMessage> accepted = acceptedFor(id);
      assertEquals(1, accepted.size(), "message " + id + " reached the provider exactly once");
      assertEquals(accepted.get(0).wamid(), message(second, id).getString("provider_message_id"));
    }
    assertEquals(8, sim.stats(TestApp.PHONE_NUMBER_ID).accepted());
    assertEquals(0L, second.one("SELECT count(*) AS n FROM outbound_queue").getLong("n"));
  }

  @Test
  void anAttemptThatNeverReachedTheProviderIsSentAgainAfterTheGrace() {
    TestApp app = start(Map.of("PARLEY_DISPATCH_RECONCILE_GRACE", "PT1S"));
    String key = app.apiKey("dispatch");
    UUID conversation = customerWrites(app, sim, "447700850001");
    // the provider is unreachable (connection refused): the outcome is unknown to Parley
    app.sql("UPDATE channels SET credentials = credentials || $2 WHERE id = $1", TestApp.CHANNEL_ID,
        new JsonObject().put("api_base_url", "http://127.0.0.1:1"));
    TestApp.sleep(5_500); // the dispatcher's channel cache forgets the old address
    String id = send(app, key, conversation, text("Eventually"));
    await("a failed attempt", Duration.ofSeconds(10), () -> app.sql(
        "SELECT 1 FROM outbound_queue WHERE message_id = $1::uuid AND last_error_code IS NOT NULL", id).size() == 1);
    assertEquals("pending", message(app, id).getString("status"));
    app.sql("UPDATE channels SET credentials = credentials || $2 WHERE id = $1", TestApp.CHANNEL_ID,
        new JsonObject().put("api_base_url", sim.baseUrl()));
    awaitStatus(app, id, Set.of("sent", "delivered", "read"), Duration.ofSeconds(30));
    assertEquals(1, acceptedFor(id).size());
  }
}

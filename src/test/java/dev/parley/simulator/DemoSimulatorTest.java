package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parley.demo.DemoBootstrap;
import dev.parley.testing.TestApp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The simulator inside Parley, as the demo uses it: the demo channel points at it, a customer writes through it, an
 * outbound reply goes to it and its signed statuses come back until the message is read.
 */
@Tag("e2e")
class DemoSimulatorTest {
  private static final String CUSTOMER = "447700900123";

  @Test
  void theDemoChannelTalksToTheBuiltInSimulator() {
    try (TestApp app = TestApp.start(Map.of())) {
      ProviderSimulator simulator = app.parley.simulator();
      assertNotNull(simulator);
      JsonObject credentials = credentials(app);
      assertEquals(simulator.baseUrl(), credentials.getString("api_base_url"));
      assertEquals(DemoBootstrap.SIMULATOR_ACCESS_TOKEN, credentials.getString("access_token"));
      SimulatedNumber number = simulator.numbers().get(0);
      assertEquals(TestApp.PHONE_NUMBER_ID, number.phoneNumberId());
      assertEquals("http://127.0.0.1:" + app.parley.httpPort() + "/webhooks/whatsapp/" + TestApp.CHANNEL_ID,
          number.webhookUrl());

      simulator.customerWrites(TestApp.PHONE_NUMBER_ID, CUSTOMER, "Priya", "Is my order on its way?").await();
      app.settled();
      UUID conversation = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
          + "WHERE c.mobile_number = $1", "+" + CUSTOMER).getUUID("id");
      HttpResponse<Buffer> sent = app.sendMessage(conversation,
          new JsonObject().put("type", "text").put("text", new JsonObject().put("body", "Yes, it ships today.")),
          null, app.apiKey("demo-simulator-test"));
      assertEquals(202, sent.statusCode(), sent.bodyAsString());
      String id = sent.bodyAsJsonObject().getString("id");

      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      String status = null;
      while (System.nanoTime() < deadline && !"read".equals(status)) {
        TestApp.sleep(100);
        status = app.one("SELECT status FROM messages WHERE id = $1::uuid", id).getString("status");
      }
      assertEquals("read", status, "sent to the simulator, statuses signed back into Parley");
      AcceptedMessage accepted = simulator.stats(TestApp.PHONE_NUMBER_ID).messages().get(0);
      assertEquals(CUSTOMER, accepted.waId());
      assertEquals("Yes, it ships today.", accepted.body().getJsonObject("text").getString("body"));
    }
  }

  @Test
  void withoutTheSimulatorParleyHasNone() {
    try (TestApp app = TestApp.start(Map.of("PARLEY_SIMULATOR_ENABLED", "false"))) {
      assertNull(app.parley.simulator());
      assertNull(credentials(app).getString("api_base_url"));
    }
  }

  @Test
  void eachStartPointsTheDemoChannelAtThatStartsSimulator() {
    try (TestApp first = TestApp.start(Map.of())) {
      String firstUrl = first.parley.simulator().baseUrl();
      assertEquals(firstUrl, credentials(first).getString("api_base_url"));
      // a second node while the first still runs: its simulator has another port, and the channel follows it
      try (TestApp second = TestApp.join(first, Map.of())) {
        String secondUrl = second.parley.simulator().baseUrl();
        assertNotEquals(firstUrl, secondUrl);
        assertEquals(secondUrl, credentials(second).getString("api_base_url"));
      }
    }
  }

  private static JsonObject credentials(TestApp app) {
    return (JsonObject) app.one("SELECT credentials FROM channels WHERE id = $1", TestApp.CHANNEL_ID)
        .getValue("credentials");
  }
}

package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/** One simulator and one webhook receiver per test class; every test starts from a reset simulator. */
abstract class SimulatorTestBase {
  static final String VERSION = "v23.0";
  static final String PHONE_NUMBER_ID = "106540352242922";
  static final String TOKEN = "EAAtest-token";
  static final String APP_SECRET = "test-app-secret";
  static final String CUSTOMER = "16505551234";

  static Vertx vertx;
  static ProviderSimulator simulator;
  static WebhookReceiver receiver;
  static WebClient http;

  @BeforeAll
  static void startSimulator() {
    vertx = Vertx.vertx();
    receiver = WebhookReceiver.start(vertx);
    simulator = ProviderSimulator.start(vertx, quietOptions()).await();
    http = WebClient.create(vertx);
  }

  @AfterAll
  static void stopSimulator() {
    http.close();
    simulator.close().await();
    receiver.close();
    vertx.close().await();
  }

  @BeforeEach
  void resetSimulator() {
    simulator.configure(options -> options.apply(quietOptions().toJson().copy()
        .put("host", simulator.options().host()).put("port", simulator.options().port())));
    simulator.registerNumber(number());
    simulator.reset();
    receiver.clear();
  }

  /** Fast statuses and no randomness, so tests can assert exact sequences; tests add disorder where they test it. */
  static SimulatorOptions quietOptions() {
    return new SimulatorOptions()
        .sentDelay(Duration.ofMillis(20))
        .deliveredDelay(Duration.ofMillis(40))
        .readDelay(Duration.ofMillis(60))
        .batchProbability(0)
        .shuffleProbability(0)
        .duplicateProbability(0)
        .webhookRetryBase(Duration.ofMillis(50))
        .webhookRetryMax(Duration.ofMillis(200))
        .seed(42L);
  }

  static SimulatedNumber number() {
    return SimulatedNumber.of(PHONE_NUMBER_ID, TOKEN, APP_SECRET, receiver.url());
  }

  static JsonObject text(String to, String body) {
    return new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("recipient_type", "individual")
        .put("to", to)
        .put("type", "text")
        .put("text", new JsonObject().put("body", body));
  }

  static HttpResponse<Buffer> send(JsonObject body) {
    return send(PHONE_NUMBER_ID, TOKEN, body);
  }

  static HttpResponse<Buffer> send(String phoneNumberId, String token, JsonObject body) {
    var request = http.postAbs(simulator.baseUrl() + "/" + VERSION + "/" + phoneNumberId + "/messages");
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.sendJsonObject(body).await();
  }

  static HttpResponse<Buffer> get(String pathOrUrl, String token) {
    var request = http.getAbs(pathOrUrl.startsWith("http") ? pathOrUrl : simulator.baseUrl() + pathOrUrl);
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.send().await();
  }

  /** Asserts Meta's synchronous error shape and answers the error object. */
  static JsonObject assertGraphError(HttpResponse<Buffer> response, int httpStatus, int code) {
    assertEquals(httpStatus, response.statusCode(), () -> response.bodyAsString());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertNotNull(error, response.bodyAsString());
    assertEquals(code, error.getInteger("code"), response.bodyAsString());
    assertNotNull(error.getString("type"));
    assertNotNull(error.getString("message"));
    assertTrue(error.getString("fbtrace_id").length() > 10);
    return error;
  }

  /** Opens the customer's window at the simulator (a customer message) and waits for its webhook. */
  static void customerWrites(String waId) {
    simulator.customerWrites(PHONE_NUMBER_ID, waId, "Sheena Nelson", "Hi!").await();
  }
}

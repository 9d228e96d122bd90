package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Asynchronous failures (131047, 131026) and injected faults: one-shot errors and hangs, random 5xx, timeouts, latency. */
class SimulatorFaultsTest extends SimulatorTestBase {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @Test
  void aFreeFormMessageOutsideTheWindowIsAcceptedThenFailsWith131047() {
    HttpResponse<Buffer> response = send(text("16505550001", "Are you still there?"));
    assertEquals(200, response.statusCode(), "Meta accepts it first");
    String wamid = wamid(response);
    WebhookReceiver.await(WAIT, "the failed status", () -> !receiver.statusesOf(wamid).isEmpty());
    JsonObject failed = receiver.statuses().get(0);
    assertEquals("failed", failed.getString("status"));
    assertEquals("16505550001", failed.getString("recipient_id"));
    JsonObject error = failed.getJsonArray("errors").getJsonObject(0);
    assertEquals(131047, error.getInteger("code"));
    assertEquals("Re-engagement message", error.getString("title"));
    assertEquals("Re-engagement message", error.getString("message"));
    assertTrue(error.getJsonObject("error_data").getString("details").contains("24 hours"));
    assertTrue(error.getString("href").startsWith("https://developers.facebook.com/"));

    String template = wamid(send(GraphMessagesTest.template("hello_world", "en_US").put("to", "16505550001")));
    WebhookReceiver.await(WAIT, "the template's statuses", () -> receiver.statusesOf(template).size() == 3);
    assertEquals(List.of("sent", "delivered", "read"), receiver.statusesOf(template), "templates need no window");
    assertEquals(List.of("failed"), receiver.statusesOf(wamid), "no sent for a failed message");
  }

  @Test
  void theWindowOpensWhenTheCustomerWritesAndCanBeSwitchedOffPerNumber() {
    customerWrites("16505550002");
    String inWindow = wamid(send(text("16505550002", "Sure!")));
    simulator.configure(options -> options.serviceWindow(Duration.ofMillis(300)));
    customerWrites("16505550003");
    sleep(400);
    String expired = wamid(send(text("16505550003", "Too late")));
    WebhookReceiver.await(WAIT, "statuses", () -> receiver.statusesOf(inWindow).size() == 3
        && receiver.statusesOf(expired).size() == 1);
    assertEquals(List.of("failed"), receiver.statusesOf(expired), "the shortened window has closed");

    simulator.registerNumber(number().withEnforceWindow(false));
    String unenforced = wamid(send(text("16505550004", "No window here")));
    WebhookReceiver.await(WAIT, "statuses", () -> receiver.statusesOf(unenforced).size() == 3);
    assertEquals(List.of("sent", "delivered", "read"), receiver.statusesOf(unenforced));
  }

  @Test
  void anUnreachableRecipientFailsWith131026() {
    simulator.configure(options -> options.unreachablePrefix("999").unreachableWaIds(Set.of("16505550005")));
    for (String to : List.of("9991234567", "16505550005")) {
      String wamid = wamid(send(GraphMessagesTest.template("hello_world", "en_US").put("to", to)));
      WebhookReceiver.await(WAIT, "the failed status", () -> !receiver.statusesOf(wamid).isEmpty());
      JsonObject failed = receiver.statuses().stream().filter(s -> s.getString("id").equals(wamid)).findFirst().orElseThrow();
      assertEquals("failed", failed.getString("status"));
      JsonObject error = failed.getJsonArray("errors").getJsonObject(0);
      assertEquals(131026, error.getInteger("code"));
      assertEquals("Message undeliverable", error.getString("title"));
    }
  }

  @Test
  void failNextAnswersTheInjectedErrorThenRecovers() {
    customerWrites(CUSTOMER);
    simulator.failNext(PHONE_NUMBER_ID, 131000, 2);
    JsonObject error = assertGraphError(send(text(CUSTOMER, "one")), 500, 131000);
    assertEquals("(#131000) Something went wrong", error.getString("message"));
    assertGraphError(send(text(CUSTOMER, "two")), 500, 131000);
    assertEquals(200, send(text(CUSTOMER, "three")).statusCode());

    simulator.failNext(PHONE_NUMBER_ID, 133004, 1);
    assertGraphError(send(text(CUSTOMER, "four")), 503, 133004);
    simulator.failNext(PHONE_NUMBER_ID, 130429, 1);
    assertGraphError(send(text(CUSTOMER, "five")), 429, 130429);
    assertEquals(1, simulator.stats(PHONE_NUMBER_ID).accepted(), "an injected failure accepts nothing");
    assertThrows(IllegalArgumentException.class, () -> simulator.failNext("404", 131000, 1));
  }

  @Test
  void hangNextAcceptsTheMessageButNeverAnswers() {
    customerWrites(CUSTOMER);
    simulator.hangNext(PHONE_NUMBER_ID, 1);
    Throwable failure = assertThrows(Throwable.class, () -> http.postAbs(simulator.baseUrl() + "/" + VERSION + "/"
            + PHONE_NUMBER_ID + "/messages")
        .bearerTokenAuthentication(TOKEN).timeout(500).sendJsonObject(text(CUSTOMER, "lost answer")).await());
    assertInstanceOf(TimeoutException.class, failure);
    NumberStats stats = simulator.stats(PHONE_NUMBER_ID);
    assertEquals(1, stats.accepted(), "the message counts as sent");
    String wamid = stats.messages().get(0).wamid();
    WebhookReceiver.await(WAIT, "its statuses", () -> receiver.statusesOf(wamid).size() == 3);
    assertEquals(200, send(text(CUSTOMER, "answered again")).statusCode(), "only the next send hangs");
  }

  @Test
  void randomServerErrorsUseMetasCodes() {
    simulator.configure(options -> options.errorProbability(1.0));
    for (int i = 0; i < 10; i++) {
      HttpResponse<Buffer> response = send(text(CUSTOMER, "x"));
      int code = response.bodyAsJsonObject().getJsonObject("error").getInteger("code");
      assertTrue(Set.of(131000, 133004, 2).contains(code), response.bodyAsString());
      assertEquals(code == 131000 ? 500 : 503, response.statusCode());
    }
    assertEquals(0, simulator.stats(PHONE_NUMBER_ID).accepted());
  }

  @Test
  void timeoutsEitherNeverAnswerOrAnswerLate() {
    customerWrites(CUSTOMER);
    simulator.configure(options -> options.timeoutProbability(1.0));
    Throwable never = assertThrows(Throwable.class, () -> http.postAbs(simulator.baseUrl() + "/" + VERSION + "/"
        + PHONE_NUMBER_ID + "/messages").bearerTokenAuthentication(TOKEN).timeout(400)
        .sendJsonObject(text(CUSTOMER, "never answered")).await());
    assertInstanceOf(TimeoutException.class, never);

    simulator.configure(options -> options.timeoutMode(SimulatorOptions.TimeoutMode.ANSWER_LATE)
        .lateAnswerDelay(Duration.ofMillis(600)));
    long start = System.nanoTime();
    HttpResponse<Buffer> late = send(text(CUSTOMER, "answered late"));
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    assertEquals(200, late.statusCode());
    assertTrue(elapsedMillis >= 550, "answered after " + elapsedMillis + " ms");
    assertEquals(2, simulator.stats(PHONE_NUMBER_ID).accepted(), "both were accepted");
  }

  @Test
  void latencyDelaysEveryAnswer() {
    simulator.configure(options -> options.latency(Duration.ofMillis(250)).jitter(Duration.ofMillis(50)));
    long start = System.nanoTime();
    assertGraphError(send(text(CUSTOMER, "").put("text", new JsonObject())), 400, 131008);
    assertTrue((System.nanoTime() - start) / 1_000_000 >= 240, "errors wait too");
  }

  static String wamid(HttpResponse<Buffer> response) {
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getJsonArray("messages").getJsonObject(0).getString("id");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Meta's limits as the simulator enforces them: throughput (130429), pair rate (131056), the busiest second. */
class SimulatorLimitsTest extends SimulatorTestBase {
  private static final String PACED = "200000000000777";

  @Test
  void sendsBeyondTheNumbersThroughputAreRefusedWith130429() {
    simulator.registerNumber(SimulatedNumber.of(PACED, TOKEN, APP_SECRET, receiver.url())
        .withThroughput(5).withEnforceWindow(false));
    List<Future<HttpResponse<Buffer>>> burst = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      burst.add(http.postAbs(simulator.baseUrl() + "/" + VERSION + "/" + PACED + "/messages")
          .bearerTokenAuthentication(TOKEN).sendJsonObject(text("1650555" + (1000 + i), "burst " + i)));
    }
    Future.join(burst).await();
    List<HttpResponse<Buffer>> refused = burst.stream().map(Future::result).filter(r -> r.statusCode() != 200).toList();
    long accepted = burst.size() - refused.size();
    assertTrue(accepted >= 5 && accepted <= 6, "a bucket of 5 (refilling 5/s) takes 5, maybe 6: " + accepted);
    for (HttpResponse<Buffer> response : refused) {
      JsonObject error = assertGraphError(response, 429, 130429);
      assertEquals("(#130429) Rate limit hit", error.getString("message"));
    }
    NumberStats stats = simulator.stats(PACED);
    assertEquals(accepted, stats.accepted());
    assertEquals(refused.size(), stats.rateLimited());
    assertEquals(0, stats.pairRateLimited());
  }

  @Test
  void theFortySixthMessageToOneRecipientInABurstIsRefusedWith131056() {
    simulator.registerNumber(number().withThroughput(1000));
    customerWrites(CUSTOMER);
    List<Integer> codes = new ArrayList<>();
    for (int i = 0; i < 48; i++) {
      HttpResponse<Buffer> response = send(text(CUSTOMER, "message " + i));
      codes.add(response.statusCode() == 200 ? 200 : response.bodyAsJsonObject().getJsonObject("error").getInteger("code"));
    }
    assertEquals(45, codes.stream().filter(c -> c == 200).count(), codes.toString());
    assertEquals(List.of(131056, 131056, 131056), codes.subList(45, 48));
    JsonObject error = assertGraphError(send(text(CUSTOMER, "again")), 429, 131056);
    assertEquals("(#131056) (Business Account, Consumer Account) pair rate limit hit", error.getString("message"));
    customerWrites("16505559999");
    assertEquals(200, send(text("16505559999", "another recipient is not limited")).statusCode(),
        "the pair limit is per recipient");
    assertEquals(4, simulator.stats(PHONE_NUMBER_ID).pairRateLimited());
  }

  @Test
  void maxPerSecondIsTheBusiestSlidingSecond() throws InterruptedException {
    simulator.registerNumber(number().withThroughput(1000).withEnforceWindow(false));
    sendBatch(10, 0);
    Thread.sleep(300);
    sendBatch(10, 10);
    Thread.sleep(1100);
    sendBatch(5, 20);
    NumberStats stats = simulator.stats(PHONE_NUMBER_ID);
    assertEquals(25, stats.accepted());
    assertEquals(20, stats.maxPerSecond(), "the first two batches fall within one second, the third does not");
  }

  @Test
  void aNumberPacedBelowItsThroughputIsNeverRefused() throws InterruptedException {
    simulator.registerNumber(number().withThroughput(10).withEnforceWindow(false));
    for (int i = 0; i < 15; i++) {
      assertEquals(200, send(text("1650555" + (2000 + i), "paced")).statusCode());
      Thread.sleep(110);
    }
    NumberStats stats = simulator.stats(PHONE_NUMBER_ID);
    assertEquals(0, stats.rateLimited());
    assertTrue(stats.maxPerSecond() <= 10, "at most 10 in any second: " + stats.maxPerSecond());
  }

  @Test
  void statisticsAndLimitsStartOverAfterReset() {
    simulator.registerNumber(number().withThroughput(1).withEnforceWindow(false));
    assertEquals(200, send(text(CUSTOMER, "one")).statusCode());
    assertGraphError(send(text(CUSTOMER, "two")), 429, 130429);
    simulator.reset();
    NumberStats stats = simulator.stats(PHONE_NUMBER_ID);
    assertEquals(0, stats.accepted());
    assertEquals(0, stats.rateLimited());
    assertEquals(0, stats.maxPerSecond());
    assertEquals(200, send(text(CUSTOMER, "three")).statusCode(), "the bucket is full again");
  }

  private static void sendBatch(int count, int firstRecipient) {
    List<Future<HttpResponse<Buffer>>> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      batch.add(http.postAbs(simulator.baseUrl() + "/" + VERSION + "/" + PHONE_NUMBER_ID + "/messages")
          .bearerTokenAuthentication(TOKEN)
          .timeout(Duration.ofSeconds(10).toMillis())
          .sendJsonObject(text("1650556" + (1000 + firstRecipient + i), "batch")));
    }
    Future.join(batch).await();
    batch.forEach(f -> assertEquals(200, f.result().statusCode()));
  }
}

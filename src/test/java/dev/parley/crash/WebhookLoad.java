package dev.parley.crash;

import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.BiConsumer;

/**
 * Signed WhatsApp webhooks, one text message each from a few customers, posted by concurrent senders the way a
 * provider delivers them: every answer is recorded, and whatever did not get a 2xx is delivered again later
 * ({@link #redeliver}) until it does. Message ids are {@code wamid.<run>-<n>}.
 */
final class WebhookLoad {
  static final int CUSTOMERS = 40;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .version(HttpClient.Version.HTTP_1_1).build();

  final String run;
  final int count;
  private final String[] bodies;
  /** The last HTTP status each webhook got; 0 = no answer (refused, cut, timed out); -1 = never posted. */
  final AtomicIntegerArray status;
  /** 2xx answers received, all deliveries together (a redelivery of a stored webhook is acknowledged again). */
  final AtomicInteger acknowledged = new AtomicInteger();
  /** Answers by status over the whole run (0 = no answer). */
  final ConcurrentHashMap<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();

  /** Set to make {@link #postAll} senders stop taking new webhooks (those never posted stay unanswered). */
  volatile boolean halted;

  WebhookLoad(String run, int count) {
    this.run = run;
    this.count = count;
    this.bodies = new String[count];
    this.status = new AtomicIntegerArray(count);
    for (int i = 0; i < count; i++) {
      status.set(i, -1);
    }
    Instant at = TestApp.now();
    for (int i = 0; i < count; i++) {
      String from = "4915" + (100000000 + i % CUSTOMERS);
      bodies[i] = WhatsAppPayloads.text(from, "Customer " + i % CUSTOMERS, providerId(i), at, "crash test " + i);
    }
  }

  String providerId(int i) {
    return "wamid." + run + "-" + i;
  }

  /**
   * Posts every webhook once (until {@link #halted}) with {@code concurrency} senders to {@code port}, calling
   * {@code onAnswer} with the webhook's number and status after each post (from the sender's thread), and pausing
   * {@code pauseMillis} between posts of one sender. Returns when all were tried.
   */
  void postAll(int port, int concurrency, long pauseMillis, BiConsumer<Integer, Integer> onAnswer)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    ExecutorService senders = Executors.newFixedThreadPool(concurrency);
    for (int s = 0; s < concurrency; s++) {
      senders.submit(() -> {
        for (int i = next.getAndIncrement(); i < count && !halted; i = next.getAndIncrement()) {
          onAnswer.accept(i, post(port, i));
          if (pauseMillis > 0) {
            ChildJvm.sleep(pauseMillis);
          }
        }
      });
    }
    senders.shutdown();
    if (!senders.awaitTermination(3, TimeUnit.MINUTES)) {
      senders.shutdownNow();
      throw new AssertionError("the webhook senders did not finish");
    }
  }

  /** Delivers again each webhook without a 2xx yet, 8 at a time, until each has one (at most {@code rounds} rounds). */
  int redeliver(int port, int rounds) throws InterruptedException {
    AtomicInteger redelivered = new AtomicInteger();
    for (int round = 0; round < rounds; round++) {
      List<Integer> pending = unacknowledged();
      if (pending.isEmpty()) {
        break;
      }
      ExecutorService senders = Executors.newFixedThreadPool(8);
      for (int i : pending) {
        senders.submit(() -> {
          post(port, i);
          redelivered.incrementAndGet();
        });
      }
      senders.shutdown();
      if (!senders.awaitTermination(3, TimeUnit.MINUTES)) {
        senders.shutdownNow();
        throw new AssertionError("the redelivery did not finish");
      }
      if (!unacknowledged().isEmpty()) {
        ChildJvm.sleep(500);
      }
    }
    return redelivered.get();
  }

  /** Webhooks posted (at least once) without a 2xx so far: what the provider delivers again. */
  List<Integer> unacknowledged() {
    List<Integer> pending = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (status.get(i) != -1 && status.get(i) / 100 != 2) {
        pending.add(i);
      }
    }
    return pending;
  }

  /** Webhooks whose last answer was 2xx. */
  List<Integer> acknowledgedIds() {
    List<Integer> acked = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (status.get(i) / 100 == 2) {
        acked.add(i);
      }
    }
    return acked;
  }

  int answers(int code) {
    var counter = answers.get(code);
    return counter == null ? 0 : counter.get();
  }

  /** One delivery of webhook {@code i}; returns its status (0 without an answer). */
  int post(int port, int i) {
    int code;
    String body = bodies[i];
    try {
      var response = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/webhooks/whatsapp/" + TestApp.CHANNEL_ID))
          .timeout(Duration.ofSeconds(20))
          .header("content-type", "application/json")
          .header("X-Hub-Signature-256", Fixtures.sign(body, TestApp.APP_SECRET))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
      code = response.statusCode();
    } catch (IOException e) {
      code = 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      code = 0;
    }
    answers.computeIfAbsent(code, c -> new AtomicInteger()).incrementAndGet();
    if (code / 100 == 2) {
      acknowledged.incrementAndGet();
      status.set(i, code);
    } else if (status.get(i) / 100 != 2) {
      status.set(i, code);
    }
    return code;
  }
}

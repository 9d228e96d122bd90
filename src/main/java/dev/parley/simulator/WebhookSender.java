package dev.parley.simulator;

import dev.parley.provider.HubSignature;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Posts signed webhooks like Meta: statuses wait until they are due, then the due statuses of one number go out
 * together (up to {@code webhook_max_batch} per POST), with up to {@code webhook_concurrency} POSTs in flight per
 * webhook URL; a POST answered non-2xx, refused or timed out is retried with exponential backoff until the retry
 * deadline. All queues live on the simulator's context; the public methods may be called from any thread.
 */
final class WebhookSender {
  private record Scheduled(long dueMillis, long sequence, SimulatedNumber number, JsonObject status) {}

  /** One POST, retried as the same bytes. */
  private static final class Delivery {
    final SimulatedNumber number;
    final Buffer body;
    final String signature;
    final int statuses;
    final Promise<Void> done;
    final int generation;
    int attempts;
    long firstAttemptMillis;

    Delivery(SimulatedNumber number, JsonObject payload, int statuses, Promise<Void> done, int generation) {
      this.number = number;
      this.generation = generation;
      this.body = WebhookPayloads.encode(payload);
      this.signature = HubSignature.sign(body.getBytes(), number.appSecret());
      this.statuses = statuses;
      this.done = done;
    }
  }

  /** Everything bound for one webhook URL. */
  private static final class Endpoint {
    final String url;
    final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>(
        Comparator.comparingLong(Scheduled::dueMillis).thenComparingLong(Scheduled::sequence));
    /** Due statuses per phone number id, waiting for a free slot. */
    final Map<String, List<Scheduled>> due = new LinkedHashMap<>();
    /** Customer messages and retries, ready to go before new batches. */
    final ArrayDeque<Delivery> ready = new ArrayDeque<>();
    int inFlight;

    Endpoint(String url) {
      this.url = url;
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final WebClient client;
  private final Supplier<SimulatorOptions> options;
  private final Function<String, NumberState> numbers;
  private final Random random;
  private final Map<String, Endpoint> endpoints = new HashMap<>();
  private long sequence;
  /** Bumped by {@link #clear()}: retries of an earlier generation are dropped. */
  private int generation;
  private boolean closed;

  WebhookSender(Vertx vertx, Context context, Supplier<SimulatorOptions> options,
      Function<String, NumberState> numbers, Random random) {
    this.vertx = vertx;
    this.context = context;
    this.options = options;
    this.numbers = numbers;
    this.random = random;
    // Meta's user agent; the pool is sized above any sensible webhook_concurrency, which is enforced per URL here
    this.client = WebClient.create(vertx, new WebClientOptions().setUserAgent("facebookexternalua").setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(512));
  }

  /** Queues a status to be posted at {@code dueMillis} (epoch ms). */
  void schedule(SimulatedNumber number, JsonObject status, long dueMillis) {
    onContext(() -> endpoint(number.webhookUrl()).scheduled.add(new Scheduled(dueMillis, sequence++, number, status)));
  }

  /** Posts a payload on its own at once (retried until delivered); completes when the webhook answered 2xx. */
  Future<Void> post(SimulatedNumber number, JsonObject payload) {
    Promise<Void> done = Promise.promise();
    onContext(() -> {
      var delivery = new Delivery(number, payload, 0, done, generation);
      Endpoint endpoint = endpoint(number.webhookUrl());
      endpoint.ready.add(delivery);
      pump(endpoint);
    });
    return done.future();
  }

  /** Moves due statuses into batches and posts what the concurrency allows; run periodically on the context. */
  void flush() {
    long now = System.currentTimeMillis();
    for (Endpoint endpoint : endpoints.values()) {
      while (!endpoint.scheduled.isEmpty() && endpoint.scheduled.peek().dueMillis() <= now) {
        Scheduled item = endpoint.scheduled.poll();
        endpoint.due.computeIfAbsent(item.number().phoneNumberId(), id -> new ArrayList<>()).add(item);
      }
      pump(endpoint);
    }
  }

  /** Statuses not yet posted (scheduled or due), for tests that wait for quiet. */
  Future<Integer> pending() {
    Promise<Integer> result = Promise.promise();
    onContext(() -> result.complete(endpoints.values().stream()
        .mapToInt(e -> e.scheduled.size() + e.due.values().stream().mapToInt(List::size).sum() + e.ready.size()
            + e.inFlight)
        .sum()));
    return result.future();
  }

  /** Drops every webhook not yet delivered. */
  void clear() {
    onContext(() -> {
      generation++;
      endpoints.values().forEach(endpoint -> {
        endpoint.scheduled.clear();
        endpoint.due.clear();
        endpoint.ready.forEach(d -> {
          if (d.done != null) {
            d.done.tryFail("the simulator was reset");
          }
        });
        endpoint.ready.clear();
      });
    });
  }

  Future<Void> close() {
    Promise<Void> closing = Promise.promise();
    onContext(() -> {
      closed = true;
      endpoints.values().forEach(endpoint -> endpoint.ready.forEach(d -> {
        if (d.done != null) {
          d.done.tryFail("the simulator stopped");
        }
      }));
      endpoints.clear();
      client.close();
      closing.complete();
    });
    return closing.future();
  }

  private void pump(Endpoint endpoint) {
    SimulatorOptions current = options.get();
    while (!closed && endpoint.inFlight < current.webhookConcurrency()) {
      Delivery next = endpoint.ready.poll();
      if (next == null) {
        next = nextBatch(endpoint, current);
      }
      if (next == null) {
        return;
      }
      send(endpoint, next);
    }
  }

  /** The due statuses of the first number waiting, as one POST. */
  private Delivery nextBatch(Endpoint endpoint, SimulatorOptions current) {
    Iterator<List<Scheduled>> numbersWaiting = endpoint.due.values().iterator();
    if (!numbersWaiting.hasNext()) {
      return null;
    }
    List<Scheduled> waiting = numbersWaiting.next();
    int size = Math.min(waiting.size(), current.webhookMaxBatch());
    List<Scheduled> batch = new ArrayList<>(waiting.subList(0, size));
    waiting.subList(0, size).clear();
    if (waiting.isEmpty()) {
      numbersWaiting.remove();
    }
    if (batch.size() > 1 && random.nextDouble() < current.shuffleProbability()) {
      Collections.shuffle(batch, random);
    }
    SimulatedNumber number = batch.get(0).number();
    List<JsonObject> statuses = batch.stream().map(Scheduled::status).toList();
    return new Delivery(number, WebhookPayloads.statuses(number, statuses), statuses.size(), null, generation);
  }

  private void send(Endpoint endpoint, Delivery delivery) {
    SimulatorOptions current = options.get();
    endpoint.inFlight++;
    if (delivery.attempts++ == 0) {
      delivery.firstAttemptMillis = System.currentTimeMillis();
    }
    client.postAbs(endpoint.url)
        .putHeader("content-type", "application/json")
        .putHeader(HubSignature.HEADER, delivery.signature)
        .timeout(current.webhookTimeout().toMillis())
        .sendBuffer(delivery.body)
        .onComplete(answer -> {
          endpoint.inFlight--;
          NumberState state = numbers.apply(delivery.number.phoneNumberId());
          int status = answer.succeeded() ? answer.result().statusCode() : 0;
          if (status >= 200 && status < 300) {
            if (state != null) {
              state.webhookDelivered(delivery.statuses);
            }
            if (delivery.done != null) {
              delivery.done.tryComplete();
            }
          } else {
            if (state != null) {
              state.webhookFailed();
            }
            retryLater(endpoint, delivery, current, state);
          }
          pump(endpoint);
        });
  }

  private void retryLater(Endpoint endpoint, Delivery delivery, SimulatorOptions current, NumberState state) {
    long elapsed = System.currentTimeMillis() - delivery.firstAttemptMillis;
    if (closed || elapsed >= current.webhookRetryDeadline().toMillis()) {
      if (state != null) {
        state.webhookDropped();
      }
      if (delivery.done != null) {
        delivery.done.tryFail("webhook not delivered to " + endpoint.url + " within the retry deadline");
      }
      return;
    }
    long base = current.webhookRetryBase().toMillis();
    long delay = Math.min(current.webhookRetryMax().toMillis(), base << Math.min(delivery.attempts - 1, 20));
    delay = Math.max(1, (long) (delay * (0.8 + 0.4 * random.nextDouble())));
    vertx.setTimer(delay, id -> {
      if (!closed && delivery.generation == generation) {
        endpoint.ready.add(delivery);
        pump(endpoint);
      }
    });
  }

  private Endpoint endpoint(String url) {
    return endpoints.computeIfAbsent(url, Endpoint::new);
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}

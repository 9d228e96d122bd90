package dev.parley.bench;

import dev.parley.bench.Fixtures.BenchChannel;
import dev.parley.bench.Fixtures.Org;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Scenario 2: a customer's message posted as a webhook → the {@code message.created} frame received by each
 * connected agent of its organization, at fixed open-loop rates, with 1,000 agents connected (organizations of
 * ten agents each, as a hosted inbox serves many small teams). The message body carries its intended send time,
 * so latency includes any queueing in the generator.
 */
final class LatencyScenario {
  private static final String MARK = "bench-e2e ";

  private final Vertx vertx;
  private final Bench.Mode mode;
  private final Recorder recorder = new Recorder(3);
  private final AtomicLong received = new AtomicLong();

  LatencyScenario(Vertx vertx, Bench.Mode mode) {
    this.vertx = vertx;
    this.mode = mode;
  }

  JsonObject run(ParleyProcess parley, List<Org> orgs) {
    int agents = orgs.stream().mapToInt(org -> org.agents().size()).sum();
    List<String> tokens = new ArrayList<>();
    orgs.forEach(org -> tokens.addAll(org.tokens()));
    var client = new Client(vertx, parley.port(), 256);
    var webhooks = new Webhooks(0, 0, 1_000);
    try (var sockets = new Agents(vertx, parley.port(), 1)) {
      int connected = sockets.open(agents, tokens, 100, this::frame).await();
      System.out.printf("e2e: %d agents connected in %d organizations%n", connected, orgs.size());
      ParleyProcess.sleep(3_000); // past the resume grace
      OpenLoop.run(vertx, 100, Duration.ofSeconds(Math.max(5, mode.warmupSeconds() / 4)), 20_000, // warm-up
          (i, intended) -> client.webhook(webhooks.text(orgs.get((int) (i % orgs.size())).channels().get(0),
              (int) (i % 1_000), "warm-up")));
      ParleyProcess.sleep(2_000);
      var steps = new JsonArray();
      for (int rate : mode.latencyRates()) {
        recorder.reset();
        received.set(0);
        var ack = new AtomicLong();
        OpenLoop.Result run = OpenLoop.run(vertx, rate, Duration.ofSeconds(mode.latencySeconds()), 20_000,
            (i, intended) -> {
              Org org = orgs.get((int) (i % orgs.size()));
              BenchChannel channel = org.channels().get(0);
              int customer = (int) ((i / orgs.size()) % 1_000);
              return client.webhook(webhooks.text(channel, customer, MARK + intended)).onSuccess(ok -> ack.incrementAndGet());
            });
        ParleyProcess.sleep(3_000); // frames still on their way
        Histogram frames = recorder.getIntervalHistogram();
        long expected = ack.get() * (agents / orgs.size());
        var step = new JsonObject()
            .put("offered_per_s", rate)
            .put("webhooks_acknowledged", ack.get())
            .put("webhook_failed", run.failed() + run.skipped())
            .put("frames_expected", expected)
            .put("frames_received", received.get())
            .put("ws_latency", Stats.latency(frames))
            .put("webhook_latency", Stats.latency(run.latency()))
            .put("completed_per_second", Stats.series(run.completedPerSecond()));
        steps.add(step);
        System.out.printf("e2e at %,d msg/s: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; frames %d of %d%n", rate,
            frames.getValueAtPercentile(50) / 1000.0, frames.getValueAtPercentile(99) / 1000.0,
            frames.getValueAtPercentile(99.9) / 1000.0, frames.getMaxValue() / 1000.0, received.get(), expected);
        ParleyProcess.sleep(1_000);
      }
      return new JsonObject().put("agents", connected).put("organizations", orgs.size())
          .put("agents_per_organization", agents / orgs.size()).put("steps", steps);
    } finally {
      client.close();
    }
  }

  private void frame(String text) {
    if (!Agents.isEvent(text, "message.created")) {
      return;
    }
    int at = text.indexOf(MARK);
    if (at < 0) {
      return;
    }
    long now = System.nanoTime();
    int from = at + MARK.length();
    int to = from;
    while (to < text.length() && (Character.isDigit(text.charAt(to)) || text.charAt(to) == '-')) {
      to++;
    }
    long intended = Long.parseLong(text, from, to, 10);
    recorder.recordValue(Math.max(1, (now - intended) / 1000));
    received.incrementAndGet();
  }
}

package dev.parley.bench;

import dev.parley.bench.Fixtures.BenchChannel;
import dev.parley.simulator.CustomerMessage;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario 1: signed WhatsApp webhooks (70 % text, 10 % image, 20 % status), one event per webhook and then 50, at
 * increasing open-loop rates until the p99 passes 50 ms (or webhooks fail, or the server stops keeping up). Parley
 * answers 200 only after the transaction committed with synchronous commit on, so acknowledged events are durably
 * committed events.
 */
final class IngestScenario {
  static final double P99_LIMIT_MS = 50;

  private final Vertx vertx;
  private final Bench.Mode mode;
  private final DoubleSupplier postgresCpu;

  IngestScenario(Vertx vertx, Bench.Mode mode, DoubleSupplier postgresCpu) {
    this.vertx = vertx;
    this.mode = mode;
    this.postgresCpu = postgresCpu;
  }

  JsonObject run(ParleyProcess parley, List<BenchChannel> channels, ProviderSimulator simulator) throws IOException {
    var webhooks = new Webhooks(0.10, 0.20, 20_000);
    // each number's provider holds one photo, which the image messages name: Parley fetches and stores it
    Buffer photo = photo();
    for (BenchChannel channel : channels) {
      simulator.registerNumber(SimulatedNumber.of(channel.phoneNumberId(), Fixtures.ACCESS_TOKEN, Fixtures.APP_SECRET,
          "http://127.0.0.1:" + parley.port() + channel.webhookPath()));
      CustomerMessage sent = simulator.customerSendsMedia(channel.phoneNumberId(), Webhooks.waId(channel, 0),
          "image/jpeg", photo, "photo").await();
      webhooks.media(channel, new Webhooks.Media(sent.mediaId(),
          sent.message().getJsonObject("image").getString("sha256")));
    }
    var client = new Client(vertx, parley.port(), 256);
    try {
      // warm-up (not reported), in both shapes: the JIT compiles the hot paths of a lone webhook and of a large group
      // (after a warm-up of lone webhooks only, a full run's first steps of each shape still measured the compiler:
      // Parley at 1.3 cores for 100 webhooks/s), pools and caches fill
      for (int batch : new int[] {1, 50}) {
        OpenLoop.run(vertx, batch == 1 ? 200 : 10, Duration.ofSeconds(mode.warmupSeconds()), 20_000,
            (i, intended) -> client.webhook(webhooks.mixed(channels.get((int) (i % channels.size())), batch)));
      }
      var result = new JsonObject().put("mix", "70 % text, 10 % image (fetched from the simulator and stored), 20 % "
          + "delivery status; " + channels.size()
          + " numbers, 20,000 customers each; p99 limit " + P99_LIMIT_MS + " ms");
      for (int batch : new int[] {1, 50}) {
        result.put("batch_" + batch, steps(parley, client, webhooks, channels, batch));
      }
      return result;
    } finally {
      client.close();
    }
  }

  private static Buffer photo() throws IOException {
    var image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
    var graphics = image.createGraphics();
    graphics.setColor(Color.ORANGE);
    graphics.fillOval(8, 4, 40, 40);
    graphics.dispose();
    var bytes = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", bytes);
    return Buffer.buffer(bytes.toByteArray());
  }

  private JsonObject steps(ParleyProcess parley, Client client, Webhooks webhooks, List<BenchChannel> channels,
      int batch) {
    var steps = new JsonArray();
    long best = 0;
    long bestMessages = 0;
    long bestProjected = 0;
    for (int rate : mode.ingestRates(batch)) {
      JsonObject step = step(parley, client, webhooks, channels, batch, rate);
      if (!step.getBoolean("sustained")) { // a step that misses runs once more: one hiccup ends nothing
        step = step(parley, client, webhooks, channels, batch, rate).put("attempt", 2);
      }
      steps.add(step);
      if (!step.getBoolean("sustained")) {
        break;
      }
      best = Math.max(best, step.getLong("committed_events_per_s"));
      if (step.getBoolean("projection_kept_up")) {
        bestProjected = Math.max(bestProjected, step.getLong("committed_events_per_s"));
      }
      bestMessages = Math.max(bestMessages, step.getLong("committed_messages_per_s"));
    }
    return new JsonObject()
        .put("batch", batch)
        .put("sustained_events_per_s", best)
        .put("sustained_messages_per_s", bestMessages)
        .put("sustained_and_projected_events_per_s", bestProjected)
        .put("steps", steps);
  }

  /** One open-loop step at {@code rate} events/s; sustained when nothing failed, it kept up and p99 ≤ the limit. */
  private JsonObject step(ParleyProcess parley, Client client, Webhooks webhooks, List<BenchChannel> channels,
      int batch, int rate) {
    double webhooksPerSecond = rate / (double) batch;
    var events = new AtomicLong();
    var messages = new AtomicLong();
    double cpuBefore = parley.cpuSeconds();
    double postgresBefore = postgresCpu.getAsDouble();
    OpenLoop.Result run = OpenLoop.run(vertx, webhooksPerSecond, Duration.ofSeconds(mode.stepSeconds()), 20_000,
        (i, intended) -> {
          Webhooks.Signed signed = webhooks.mixed(channels.get((int) (i % channels.size())), batch);
          return client.webhook(signed).onSuccess(ok -> {
            events.addAndGet(signed.messages() + signed.statuses());
            messages.addAndGet(signed.messages());
          });
        });
    // acknowledged means logged: the step's events are projected a moment later; the CPU counts until they are
    double drain = parley.awaitProjected(Duration.ofSeconds(60));
    double cpu = parley.cpuSeconds() - cpuBefore;
    double postgres = postgresBefore < 0 ? -1 : postgresCpu.getAsDouble() - postgresBefore;
    double eventsPerSecond = events.get() / run.seconds();
    boolean projectionKeptUp = drain >= 0 && drain <= Math.max(1.0, 0.1 * run.seconds());
    double p99 = run.latency().getTotalCount() == 0 ? Double.MAX_VALUE
        : run.latency().getValueAtPercentile(99) / 1000.0;
    boolean kept = run.failed() == 0 && run.skipped() == 0 && run.achievedPerSecond() >= 0.95 * webhooksPerSecond
        && p99 <= P99_LIMIT_MS;
    System.out.printf("ingest batch %d: offered %,d events/s -> committed %,.0f/s, p99 %.1f ms, failed %d%s; "
            + "projected %s s after the step%s%n",
        batch, rate, eventsPerSecond, Math.min(p99, 1e9), run.failed(), kept ? "" : " (not sustained)",
        drain < 0 ? "not within 60" : drain, projectionKeptUp ? "" : " (projection fell behind)");
    ParleyProcess.sleep(1_000);
    return Stats.step(run)
        .put("offered_events_per_s", rate)
        .put("committed_events_per_s", Math.round(eventsPerSecond))
        .put("committed_messages_per_s", Math.round(messages.get() / run.seconds()))
        .put("parley_cpu_cores", Stats.round(cpu / (run.seconds() + Math.max(0, drain)), 2))
        .put("postgres_cpu_cores", postgres < 0 ? null : Stats.round(postgres / (run.seconds() + Math.max(0, drain)), 2))
        .put("projection_drain_s", drain < 0 ? null : drain)
        .put("projected_events_per_s", drain < 0 ? null : Math.round(events.get() / (run.seconds() + drain)))
        .put("projection_kept_up", projectionKeptUp)
        .put("sustained", kept);
  }
}

package dev.parley.bench;

import dev.parley.bench.Fixtures.BenchChannel;
import dev.parley.bench.Fixtures.Org;
import dev.parley.simulator.NumberStats;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * Scenario 4: outbound text messages accepted through {@code POST /api/v1/conversations/{id}/messages} at a fixed
 * open-loop rate, spread over 20 numbers and their customers (whose windows a first customer message opened), sent
 * by Parley's dispatcher to the provider simulator, whose numbers enforce their throughput (error 130429) and the
 * pair rate (131056). Latency runs from the intended request time to the {@code message.updated} frame that shows
 * {@code sent}; pacing violations are the simulator's rate-limit refusals (must be zero).
 */
final class DispatchScenario {

  private final Vertx vertx;
  private final Bench.Mode mode;
  private final DoubleSupplier postgresCpu;
  private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
  private final Map<String, Long> intendedAt = new ConcurrentHashMap<>();

  DispatchScenario(Vertx vertx, Bench.Mode mode, DoubleSupplier postgresCpu) {
    this.vertx = vertx;
    this.mode = mode;
    this.postgresCpu = postgresCpu;
  }

  JsonObject run(ParleyProcess parley, Org org, ProviderSimulator simulator, String pgUrl, int throughput) throws Exception {
    String webhookBase = "http://127.0.0.1:" + parley.port();
    for (BenchChannel channel : org.channels()) {
      simulator.registerNumber(new SimulatedNumber(channel.phoneNumberId(), channel.displayNumber(),
          Fixtures.ACCESS_TOKEN, Fixtures.APP_SECRET, webhookBase + channel.webhookPath(), "bench-waba", throughput, true));
    }
    // every customer writes first (through the simulator, which opens the window on both sides)
    int perNumber = mode.dispatchCustomers() / org.channels().size();
    var writes = new AtomicInteger();
    List<Future<?>> chains = new ArrayList<>();
    for (BenchChannel channel : org.channels()) {
      chains.add(writeAll(simulator, channel, perNumber, 0, writes));
    }
    Future.all(new ArrayList<>(chains)).await();
    List<UUID> conversations = new ArrayList<>();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (conversations.size() < perNumber * org.channels().size() && System.nanoTime() < deadline) {
      ParleyProcess.sleep(500);
      conversations.clear();
      try (var db = Database.connect(pgUrl); var query = db.prepareStatement(
          "SELECT id FROM conversations WHERE organization_id = ? ORDER BY id")) {
        query.setObject(1, org.id());
        try (var rows = query.executeQuery()) {
          while (rows.next()) {
            conversations.add(rows.getObject(1, UUID.class));
          }
        }
      }
    }
    // the admin takes them all (only the assignee may send)
    try (var db = Database.connect(pgUrl); var take = db.prepareStatement(
        "UPDATE conversations SET assignee_id = ? WHERE organization_id = ?")) {
      take.setObject(1, org.agents().get(0));
      take.setObject(2, org.id());
      take.executeUpdate();
    }
    System.out.printf("dispatch: %,d conversations with open windows on %d numbers%n", conversations.size(),
        org.channels().size());

    String token = org.tokens().get(0);
    var client = new Client(vertx, parley.port(), 128);
    try (var watcher = new Agents(vertx, parley.port(), 1)) {
      watcher.open(1, List.of(token), 1, this::frame).await();
      ParleyProcess.sleep(3_000);
      double cpuBefore = parley.cpuSeconds();
      double postgresBefore = postgresCpu.getAsDouble();
      long start = System.nanoTime();
      OpenLoop.Result accepted = OpenLoop.run(vertx, mode.dispatchRate(), Duration.ofSeconds(mode.dispatchSeconds()),
          20_000, (i, intended) -> {
            UUID conversation = conversations.get((int) (i % conversations.size()));
            var body = new JsonObject().put("type", "text").put("text", new JsonObject().put("body", "Reply " + i));
            return client.post("/api/v1/conversations/" + conversation + "/messages", token, body)
                .onSuccess(answer -> intendedAt.put(answer.toJsonObject().getString("id"), intended));
          });
      long drainUntil = System.nanoTime() + Duration.ofSeconds(mode.drainSeconds() * 3L).toNanos();
      while (!sentAt.keySet().containsAll(intendedAt.keySet()) && System.nanoTime() < drainUntil) {
        ParleyProcess.sleep(200);
      }
      double cpu = parley.cpuSeconds() - cpuBefore;
      double postgres = postgresBefore < 0 ? -1 : postgresCpu.getAsDouble() - postgresBefore;
      var latency = new Histogram(3);
      int seconds = (int) Math.ceil((System.nanoTime() - start) / 1e9);
      long[] sentPerSecond = new long[seconds + 1];
      long lastSent = start;
      long sent = 0;
      for (var entry : intendedAt.entrySet()) {
        Long at = sentAt.get(entry.getKey());
        if (at != null) {
          sent++;
          latency.recordValue(Math.max(1, (at - entry.getValue()) / 1000));
          int second = (int) ((at - start) / 1_000_000_000L);
          if (second >= 0 && second < sentPerSecond.length) {
            sentPerSecond[second]++;
          }
          lastSent = Math.max(lastSent, at);
        }
      }
      double sentSeconds = Math.max(1e-9, (lastSent - start) / 1e9);
      long rateLimited = 0;
      long pairLimited = 0;
      int busiest = 0;
      var numbers = new JsonArray();
      for (BenchChannel channel : org.channels()) {
        NumberStats stats = simulator.stats(channel.phoneNumberId());
        rateLimited += stats.rateLimited();
        pairLimited += stats.pairRateLimited();
        busiest = Math.max(busiest, stats.maxPerSecond());
        numbers.add(stats.toJson(false));
      }
      long violations = rateLimited + pairLimited + (busiest > throughput ? 1 : 0);
      var result = new JsonObject()
          .put("numbers", org.channels().size())
          .put("number_throughput_per_s", throughput)
          .put("conversations", conversations.size())
          .put("offered_per_s", mode.dispatchRate())
          .put("accepted", intendedAt.size())
          .put("refused", accepted.failed() + accepted.skipped())
          .put("accept_latency", Stats.latency(accepted.latency()))
          .put("sent", sent)
          .put("sent_per_s", Math.round(sent / sentSeconds))
          .put("sent_per_second", Stats.series(sentPerSecond))
          .put("latency_to_sent", Stats.latency(latency))
          .put("rate_limited_130429", rateLimited)
          .put("pair_rate_limited_131056", pairLimited)
          .put("busiest_number_second", busiest)
          .put("pacing_violations", violations)
          .put("parley_cpu_cores", Stats.round(cpu / sentSeconds, 2))
          .put("postgres_cpu_cores", postgres < 0 ? null : Stats.round(postgres / sentSeconds, 2))
          .put("per_number", numbers);
      System.out.printf("dispatch: %,d accepted, %,d sent at %,.0f/s; to sent p50 %.1f ms p99 %.1f ms; "
              + "pacing violations %d (busiest number-second %d)%n", intendedAt.size(), sent, sent / sentSeconds,
          latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0, violations, busiest);
      return result;
    } finally {
      client.close();
    }
  }

  private Future<Void> writeAll(ProviderSimulator simulator, BenchChannel channel, int count, int from,
      AtomicInteger writes) {
    if (from >= count) {
      return Future.succeededFuture();
    }
    List<Future<?>> wave = new ArrayList<>();
    for (int i = from; i < Math.min(count, from + 25); i++) {
      String waId = Webhooks.waId(channel, 500_000 + i);
      wave.add(simulator.customerWrites(channel.phoneNumberId(), waId, "Customer " + i, "Hello " + i)
          .onSuccess(ok -> writes.incrementAndGet()));
    }
    return Future.all(new ArrayList<>(wave)).compose(v -> writeAll(simulator, channel, count, from + 25, writes));
  }

  private void frame(String text) {
    if (!Agents.isEvent(text, "message.updated") || !text.contains("\"status\":\"sent\"")) {
      return;
    }
    long now = System.nanoTime();
    JsonObject data = new JsonObject(text).getJsonObject("data");
    if (data != null && "sent".equals(data.getString("status"))) {
      sentAt.putIfAbsent(data.getString("id"), now);
    }
  }
}

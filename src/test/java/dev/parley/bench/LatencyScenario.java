package dev.parley.bench;

import dev.parley.bench.Fixtures.BenchChannel;
import dev.parley.bench.Fixtures.Org;
import dev.parley.store.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
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
  private final String pgUrl;
  private final java.nio.file.Path work;
  private final Recorder recorder = new Recorder(3);
  private final AtomicLong received = new AtomicLong();

  private final DoubleSupplier postgresCpu;
  private final DoubleSupplier redisCpu;

  LatencyScenario(Vertx vertx, Bench.Mode mode, String pgUrl, java.nio.file.Path work, DoubleSupplier postgresCpu,
      DoubleSupplier redisCpu) {
    this.vertx = vertx;
    this.mode = mode;
    this.pgUrl = pgUrl;
    this.work = work;
    this.postgresCpu = postgresCpu;
    this.redisCpu = redisCpu;
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
      JsonObject warmUp = warmUp(parley, client, webhooks, orgs);
      settle(warmUp);
      ParleyProcess.sleep(2_000);
      var steps = new JsonArray();
      for (int rate : mode.latencyRates()) {
        recorder.reset();
        received.set(0);
        var ack = new AtomicLong();
        Map<String, Double> threadsBefore = parley.threadCpu();
        double[] batchesBefore = batches(parley);
        double[] cpuBefore = {parley.cpuSeconds(), postgresCpu.getAsDouble(), redisCpu.getAsDouble()};
        double generatorBefore = ownCpuSeconds();
        OpenLoop.Result run = OpenLoop.run(vertx, rate, Duration.ofSeconds(mode.latencySeconds()), 20_000,
            (i, intended) -> {
              Org org = orgs.get((int) (i % orgs.size()));
              BenchChannel channel = org.channels().get(0);
              return client.webhook(webhooks.text(channel, customer(i, orgs), MARK + intended))
                  .onSuccess(ok -> ack.incrementAndGet());
            });
        // CPU over the step's own seconds (the generators' time is not in it); per acknowledged message
        double[] cpu = {parley.cpuSeconds() - cpuBefore[0], postgresCpu.getAsDouble() - cpuBefore[1],
            redisCpu.getAsDouble() - cpuBefore[2]};
        double generator = ownCpuSeconds() - generatorBefore;
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
            .put("completed_per_second", Stats.series(run.completedPerSecond()))
            .put("cpu", cpuPerMessage(cpu, cpuBefore, ack.get(), run.seconds()))
            .put("generator_cores", Stats.round(generator / run.seconds(), 2))
            .put("cpu_steal_percent", run.steal() < 0 ? null : run.steal())
            .put("parley_thread_cpu_s", delta(threadsBefore, parley.threadCpu()))
            .put("batching", batching(batchesBefore, batches(parley)));
        steps.add(step);
        System.out.printf("e2e at %,d msg/s: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms; frames %d of %d; "
                + "CPU %s µs per message%n", rate,
            frames.getValueAtPercentile(50) / 1000.0, frames.getValueAtPercentile(99) / 1000.0,
            frames.getValueAtPercentile(99.9) / 1000.0, frames.getMaxValue() / 1000.0, received.get(), expected,
            step.getJsonObject("cpu").getValue("total_us_per_message"));
        System.out.printf("  cpu %s; Parley threads (s) %s; %s%n", step.getJsonObject("cpu").encode(),
            step.getJsonObject("parley_thread_cpu_s").encode(), step.getJsonObject("batching").encode());
        ParleyProcess.sleep(1_000);
      }
      return new JsonObject().put("agents", connected).put("organizations", orgs.size()).put("warm_up", warmUp)
          .put("agents_per_organization", agents / orgs.size()).put("steps", steps)
          .put("relay_floor", relayFloor(orgs, agents, webhooks));
    } finally {
      client.close();
    }
  }

  /**
   * The same load through {@link BareServer}'s relay, in the same run: as many sockets in groups of the same size,
   * the same webhook bodies at the same rates, each pushed to its group without being parsed, verified or stored.
   * Its CPU per message and its latency are the floor this machine sets for the scenario (the generator's share
   * included), against which Parley's figures and targets read.
   */
  private JsonObject relayFloor(List<Org> orgs, int agents, Webhooks webhooks) {
    List<String> groups = new ArrayList<>();
    for (int i = 0; i < orgs.size(); i++) {
      for (int j = 0; j < agents / orgs.size(); j++) {
        groups.add("g" + i);
      }
    }
    int port;
    try {
      port = Bench.freePort();
    } catch (java.io.IOException e) {
      return new JsonObject().put("error", e.toString());
    }
    try (var relay = ParleyProcess.benchClass(BareServer.class, port, work.resolve("relay.log"),
            Integer.toString(port));
        var sockets = new Agents(vertx, port, 1)) {
      var client = new Client(vertx, port, 256);
      try {
        int connected = sockets.open(agents, groups, 100, this::frame).await();
        OpenLoop.Operation post = (i, intended) -> {
          int org = (int) (i % orgs.size());
          return client.post("/relay/g" + org,
              webhooks.text(orgs.get(org).channels().get(0), customer(i, orgs), MARK + intended).body());
        };
        for (int rate : mode.latencyRates()) { // warm-up: the relay's JIT
          OpenLoop.run(vertx, rate, Duration.ofSeconds(5), 20_000, post);
        }
        ParleyProcess.sleep(1_000);
        var steps = new JsonArray();
        for (int rate : mode.latencyRates()) {
          recorder.reset();
          received.set(0);
          double before = relay.cpuSeconds();
          double generatorBefore = ownCpuSeconds();
          OpenLoop.Result run = OpenLoop.run(vertx, rate, Duration.ofSeconds(mode.latencySeconds()), 20_000, post);
          double cpu = relay.cpuSeconds() - before;
          double generator = ownCpuSeconds() - generatorBefore;
          ParleyProcess.sleep(2_000);
          Histogram frames = recorder.getIntervalHistogram();
          steps.add(new JsonObject()
              .put("offered_per_s", rate)
              .put("posts_answered", run.succeeded())
              .put("frames_expected", run.succeeded() * (agents / orgs.size()))
              .put("frames_received", received.get())
              .put("ws_latency", Stats.latency(frames))
              .put("post_latency", Stats.latency(run.latency()))
              .put("cpu_cores", Stats.round(cpu / run.seconds(), 2))
              .put("cpu_us_per_message", run.succeeded() == 0 ? null : Math.round(cpu * 1e6 / run.succeeded()))
              .put("generator_cores", Stats.round(generator / run.seconds(), 2))
              .put("cpu_steal_percent", run.steal() < 0 ? null : run.steal()));
          System.out.printf("relay floor at %,d msg/s: p50 %.2f ms, p99 %.2f ms; CPU %s µs per message%n", rate,
              frames.getValueAtPercentile(50) / 1000.0, frames.getValueAtPercentile(99) / 1000.0,
              steps.getJsonObject(steps.size() - 1).getValue("cpu_us_per_message"));
        }
        return new JsonObject().put("sockets", connected).put("steps", steps)
            .put("how", "BareServer's relay: each POST answered 200 and its body, wrapped as a message.created frame, "
                + "written to each socket of its group on the socket's event loop; nothing parsed, verified or stored");
      } finally {
        client.close();
      }
    } catch (Exception e) {
      return new JsonObject().put("error", e.toString());
    }
  }

  /**
   * The customer who writes the {@code i}-th message: organizations in turn, each organization's 1,000 customers in
   * turn. The warm-up and the steps use the same order, so the warm-up's tens of thousands of messages reach every
   * customer and the steps measure messages into existing conversations, as an inbox's traffic mostly is. (Until the
   * sixth pass the warm-up reached 10 customers per organization, so the low-rate steps measured mostly first
   * messages: a new contact, identity and conversation each.)
   */
  private static int customer(long i, List<Org> orgs) {
    return (int) ((i / orgs.size()) % 1_000);
  }

  /**
   * Runs the step rates in turn, 5 seconds each (waiting after each until the projection caught up), until a whole
   * cycle in which Parley's compiler threads used under 0.3 s of CPU (at most three minutes): the steps then measure
   * compiled code, not the compiler. A warm-up at one rate is not enough: at 1,000 msg/s a projection transaction
   * holds about 50 webhooks, not one, and C2 compiled those paths during the measured step.
   */
  private JsonObject warmUp(ParleyProcess parley, Client client, Webhooks webhooks, List<Org> orgs) {
    var cycles = new JsonArray();
    long started = System.nanoTime();
    double compiler;
    do {
      double before = parley.threadCpu().getOrDefault("compiler", 0.0);
      for (int rate : mode.latencyRates()) {
        OpenLoop.run(vertx, rate, Duration.ofSeconds(5), 20_000,
            (i, intended) -> client.webhook(webhooks.text(orgs.get((int) (i % orgs.size())).channels().get(0),
                customer(i, orgs), "warm-up")));
        parley.awaitProjected(Duration.ofSeconds(60));
      }
      compiler = parley.threadCpu().getOrDefault("compiler", 0.0) - before;
      cycles.add(Stats.round(compiler, 2));
    } while (compiler > 0.3 && System.nanoTime() - started < Duration.ofMinutes(3).toNanos());
    System.out.printf("e2e warm-up: %d cycles of the step rates, 5 s each; compiler CPU per cycle %s s%n",
        cycles.size(), cycles.encode());
    ParleyProcess.sleep(2_000);
    return new JsonObject().put("cycles", cycles.size()).put("compiler_cpu_s_per_cycle", cycles)
        .put("jit_quiet", compiler <= 0.3)
        .put("how", "the step rates in turn, 5 s each, until a cycle in which Parley's C1/C2 threads used under 0.3 s "
            + "of CPU (/proc/<pid>/task), at most three minutes");
  }

  /**
   * The warm-up wrote tens of thousands of messages and conversation updates; left alone, autovacuum reworks those
   * tables and a checkpoint writes their pages (fsync on) during the low-rate steps, which then measure that. So the
   * tables are vacuumed and analysed and a checkpoint taken first, as the list scenario does after its bulk load;
   * what it took goes in the report.
   */
  private void settle(JsonObject warmUp) {
    long started = System.nanoTime();
    try (var db = Database.connect(pgUrl); var statement = db.createStatement()) {
      statement.execute("VACUUM (ANALYZE) inbound_log, inbound_projection, contacts, contact_identities, "
          + "conversations, messages");
      try {
        statement.execute("CHECKPOINT");
      } catch (java.sql.SQLException e) { // an external server's user may lack the right (pg_checkpoint)
        System.out.printf("e2e: no CHECKPOINT before measuring (%s)%n", e.getMessage());
      }
    } catch (java.sql.SQLException e) {
      System.out.printf("e2e: tables not vacuumed before measuring (%s)%n", e.getMessage());
    }
    warmUp.put("vacuum_and_checkpoint_s", Stats.round((System.nanoTime() - started) / 1e9, 1));
  }

  /** Parley's log commits and projection transactions so far, and the webhooks they held. */
  private static double[] batches(ParleyProcess parley) {
    return new double[] {parley.metric("parley_inbound_log_webhooks_count"), parley.metric("parley_inbound_log_webhooks_sum"),
        parley.metric("parley_inbound_projection_webhooks_count"), parley.metric("parley_inbound_projection_webhooks_sum"),
        parley.metric("parley_inbound_queued_seconds_sum"), parley.metric("parley_inbound_queued_seconds_count"),
        parley.metric("parley_inbound_flush_seconds_sum"), parley.metric("parley_inbound_flush_seconds_count"),
        parley.metric("parley_inbound_projection_queued_seconds_sum"),
        parley.metric("parley_inbound_projection_queued_seconds_count"),
        parley.metric("parley_inbound_projection_commit_seconds_sum"),
        parley.metric("parley_inbound_projection_commit_seconds_count"),
        parley.metric("parley_inbound_publish_seconds_sum"), parley.metric("parley_inbound_publish_seconds_count"),
        parley.metric("parley_webhook_seconds_sum"), parley.metric("parley_webhook_seconds_count")};
  }

  /** The mean of a timer over the step, in ms, from its sum at {@code sum} and its count after it; null if unused. */
  private static Double meanMs(double[] before, double[] after, int sum) {
    double count = after[sum + 1] - before[sum + 1];
    return count <= 0 ? null : Stats.round((after[sum] - before[sum]) / count * 1000, 2);
  }

  /** Webhooks per inbound-log commit and per projection transaction during a step, and the mean of each stage. */
  private static JsonObject batching(double[] before, double[] after) {
    double logCommits = after[0] - before[0];
    double projections = after[2] - before[2];
    return new JsonObject()
        .put("log_commits", Math.round(logCommits))
        .put("webhooks_per_log_commit", logCommits <= 0 ? null : Stats.round((after[1] - before[1]) / logCommits, 1))
        .put("projection_transactions", Math.round(projections))
        .put("webhooks_per_projection", projections <= 0 ? null : Stats.round((after[3] - before[3]) / projections, 1))
        // where a webhook's time goes in the server, as means over the step (ms): its handling at the edge until
        // answered, waiting for a log flush, the flush's commit, waiting for its projector, the projection's
        // transaction, then Redis and the push
        .put("stage_means_ms", new JsonObject()
            .put("webhook_answered", meanMs(before, after, 14))
            .put("queued_for_log", meanMs(before, after, 4))
            .put("log_commit", meanMs(before, after, 6))
            .put("queued_for_projector", meanMs(before, after, 8))
            .put("projection_commit", meanMs(before, after, 10))
            .put("publish", meanMs(before, after, 12)));
  }

  /**
   * CPU seconds this JVM (the generators, the agents' sockets and the simulator) has used so far: what the load
   * itself takes from the two cores the servers share.
   */
  private static double ownCpuSeconds() {
    var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean bean ? bean.getProcessCpuTime() / 1e9 : 0;
  }

  private static JsonObject delta(Map<String, Double> before, Map<String, Double> after) {
    var result = new JsonObject();
    after.forEach((kind, seconds) -> result.put(kind, Stats.round(seconds - before.getOrDefault(kind, 0.0), 2)));
    return result;
  }

  /** Cores used during the step and CPU µs per acknowledged message: Parley, PostgreSQL, Redis and their sum. */
  private static JsonObject cpuPerMessage(double[] cpu, double[] before, long messages, double seconds) {
    var result = new JsonObject();
    String[] names = {"parley", "postgres", "redis"};
    double total = 0;
    boolean complete = true;
    for (int i = 0; i < names.length; i++) {
      if (before[i] < 0) {
        complete = false;
        continue;
      }
      result.put(names[i] + "_cores", Stats.round(cpu[i] / seconds, 2));
      result.put(names[i] + "_us_per_message", messages == 0 ? null : Math.round(cpu[i] * 1e6 / messages));
      total += cpu[i];
    }
    if (complete && messages > 0) {
      result.put("total_us_per_message", Math.round(total * 1e6 / messages));
    }
    return result;
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

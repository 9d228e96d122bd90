package dev.parley.bench;

import dev.parley.bench.Fixtures.Org;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatorOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The benchmark: starts (or connects to) PostgreSQL and Redis, Parley in its own JVM from {@code target/parley.jar},
 * the provider simulator and the load generators in this JVM, all on loopback; measures the ceilings and the five
 * scenarios; writes {@code report.json}, {@code summary.md} and PNG charts. Run it with {@code bench/run}.
 */
public final class Bench {
  /** Everything a run's length depends on. */
  record Mode(String name, int ceilingSeconds, int stepSeconds, int[] rates1, int[] rates50, int[] latencyRates,
      int latencySeconds, int latencyOrgs, int agentsPerOrg, int connections, int fanoutMessages, int dispatchRate,
      int dispatchSeconds, int dispatchCustomers, int listConversations, long listMessages, int listRate,
      int listSeconds, int warmupSeconds, int drainSeconds) {
    int[] ingestRates(int batch) {
      return batch == 1 ? rates1 : rates50;
    }
  }

  static final Mode FULL = new Mode("full", 10, 10,
      new int[] {100, 250, 500, 1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 7_500, 10_000, 20_000},
      new int[] {250, 1_000, 2_500, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000},
      new int[] {100, 250, 1_000, 2_000, 5_000}, 20, 100, 10, 18_000, 20, 1_000, 20, 10_000, 100_000, 1_000_000, 200, 15, 60, 30);
  static final Mode SHORT = new Mode("short", 3, 5,
      new int[] {200, 800, 1_600, 3_200, 5_000, 7_500, 20_000},
      new int[] {250, 1_000, 5_000, 10_000, 20_000},
      new int[] {100, 250, 1_000, 2_000}, 5, 100, 10, 4_000, 10, 500, 5, 2_000, 20_000, 200_000, 100, 4, 20, 10);
  static final int NUMBER_THROUGHPUT = 300;
  static final List<String> SCENARIOS = List.of("ceilings", "ingest", "latency", "connections", "dispatch", "list");

  private Bench() {}

  public static void main(String[] args) throws Exception {
    Mode mode = FULL;
    Path out = null;
    Set<String> only = Set.copyOf(SCENARIOS);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--short" -> mode = SHORT;
        case "--out" -> out = Path.of(args[++i]);
        case "--only" -> only = Set.of(args[++i].split(","));
        default -> {
          System.err.println("usage: bench/run [--short] [--out DIR] [--only " + String.join(",", SCENARIOS) + "]");
          System.exit(2);
        }
      }
    }
    if (out == null) {
      out = Path.of(mode == FULL ? "docs/benchmarks/latest" : "target/bench");
    }
    Files.createDirectories(out);
    OpenLoop.drain = Duration.ofSeconds(mode.drainSeconds());
    long began = System.nanoTime();
    long[] cpuBefore = cpuTimes();
    Path work = Files.createTempDirectory("parley-bench-");
    System.out.printf("Parley benchmark (%s), work files in %s%n", mode.name(), work);

    var report = new JsonObject()
        .put("mode", mode.name())
        .put("started_at", Instant.now().toString())
        .put("commit", commit())
        .put("machine", machine());
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    Vertx simulatorVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    try (Infra infra = Infra.start(work)) {
      report.put("servers", infra.describe());
      ProviderSimulator simulator = ProviderSimulator.start(simulatorVertx, new SimulatorOptions()
          .sentDelay(Duration.ofMillis(100)).deliveredDelay(Duration.ofMillis(500)).readDelay(Duration.ofSeconds(2))
          .readProbability(0.5).shuffleProbability(0).duplicateProbability(0)).await();
      int port = freePort();
      Map<String, String> env = new HashMap<>(Map.of(
          "PARLEY_PG_URL", infra.pgUrl,
          "PARLEY_REDIS_URL", infra.redisUrl,
          "PARLEY_HTTP_HOST", "127.0.0.1",
          "PARLEY_HTTP_PORT", Integer.toString(port),
          "PARLEY_JWT_SECRET", Fixtures.JWT_SECRET,
          "PARLEY_SIMULATOR_ENABLED", "false",
          "PARLEY_DEMO_ENABLED", "false",
          "PARLEY_DATA_DIR", work.resolve("parley").toString(),
          "PARLEY_MEDIA_DIR", work.resolve("media").toString(),
          "PARLEY_WHATSAPP_GRAPH_URL", simulator.baseUrl()));
      env.put("PARLEY_DISPATCH_RATE_PER_NUMBER", Integer.toString(NUMBER_THROUGHPUT));
      try (var parley = ParleyProcess.parley(env, port, work.resolve("parley.log"))) {
        report.put("parley", new JsonObject().put("jar", System.getenv().getOrDefault("BENCH_PARLEY_JAR",
            "target/parley.jar")).put("java_options", System.getenv().getOrDefault("BENCH_PARLEY_JAVA_OPTS",
            "-Xms1g -Xmx3g")).put("rss_at_start_bytes", parley.rssBytes()));
        var fixtures = new Fixtures(vertx, infra.pgUrl);
        if (only.contains("ceilings")) {
          report.put("ceilings", ceilings(vertx, mode, infra, fixtures, work));
        }
        if (only.contains("ingest")) {
          Org org = fixtures.organization("Ingest", 4, 1, null);
          report.put("ingest", new IngestScenario(vertx, mode, infra::postgresCpuSeconds).run(parley, org.channels(), simulator));
        }
        if (only.contains("latency")) {
          List<Org> orgs = new ArrayList<>();
          for (int i = 0; i < mode.latencyOrgs(); i++) {
            orgs.add(fixtures.organization("Team " + i, 1, mode.agentsPerOrg(), null));
          }
          report.put("e2e_latency", new LatencyScenario(vertx, mode, infra.pgUrl, work, infra::postgresCpuSeconds, infra::redisCpuSeconds).run(parley, orgs));
        }
        if (only.contains("connections")) {
          Org org = fixtures.organization("Crowd", 1, 100, null);
          report.put("connections", new ConnectionsScenario(vertx, mode).run(parley, org));
        }
        if (only.contains("dispatch")) {
          Org org = fixtures.organization("Outbound", 20, 1, simulator.baseUrl());
          report.put("dispatch", new DispatchScenario(vertx, mode, infra::postgresCpuSeconds).run(parley, org, simulator, infra.pgUrl,
              NUMBER_THROUGHPUT));
        }
        if (only.contains("list")) {
          report.put("conversation_list", new ListScenario(vertx, mode).run(parley, infra.pgUrl, fixtures));
        }
        report.getJsonObject("parley").put("rss_at_end_bytes", parley.rssBytes());
      } finally {
        simulator.close().await();
      }
    } finally {
      vertx.close().await();
      simulatorVertx.close().await();
      if (!System.getenv().containsKey("BENCH_KEEP_WORK")) {
        try (var files = Files.walk(work)) {
          files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
      }
    }
    report.put("took_seconds", Math.round((System.nanoTime() - began) / 1e9));
    stolen(cpuBefore, cpuTimes()).ifPresent(percent -> report.getJsonObject("machine").put("cpu_steal_percent", percent));
    Files.writeString(out.resolve("report.json"), report.encodePrettily() + "\n");
    List<String> charts = Charts.write(report, out);
    Files.writeString(out.resolve("summary.md"), Summary.markdown(report, charts));
    System.out.printf("%nreport: %s (%d s)%n%s", out.resolve("summary.md"), report.getLong("took_seconds"),
        Summary.targets(report));
    System.exit(0);
  }

  private static JsonObject ceilings(Vertx vertx, Mode mode, Infra infra, Fixtures fixtures, Path work) throws Exception {
    var ceilings = new Ceilings(vertx, mode);
    Org org = fixtures.organization("Ceilings", 1, 1, null);
    var result = new JsonObject();
    result.put("postgres", ceilings.postgres(infra.pgUrl, org));
    System.out.println("ceiling postgres: " + result.getJsonObject("postgres").encode());
    result.put("redis", ceilings.redis(infra.redisUrl));
    System.out.println("ceiling redis: " + result.getJsonObject("redis").encode());
    int port = freePort();
    try (var bare = ParleyProcess.benchClass(BareServer.class, port, work.resolve("bare.log"), Integer.toString(port))) {
      result.put("http", ceilings.http(bare, new Webhooks(0.1, 0.2, 20_000).text(org.channels().get(0), 1,
          "Hello, I have a question about order 123456")));
    }
    System.out.println("ceiling http: " + result.getJsonObject("http").encode());
    return result;
  }

  static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The soft limit on open files of this process ({@code ulimit -n}). */
  static long fileLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          return Long.parseLong(line.substring(26).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /**
   * The machine's CPU time counters ({@code /proc/stat}: user, nice, system, idle, iowait, irq, softirq, steal), or
   * null off Linux. On a virtual machine, "steal" is time the hypervisor gave to other guests: a run with much of it
   * had less than its cores, and its figures are low by about that much.
   */
  static long[] cpuTimes() {
    try {
      String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long[] times = new long[Math.min(8, fields.length - 1)];
      for (int i = 0; i < times.length; i++) {
        times[i] = Long.parseLong(fields[i + 1]);
      }
      return times;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The share of all CPU time between the two readings that was stolen by the hypervisor, in per cent. */
  static Optional<Double> stolen(long[] before, long[] after) {
    if (before == null || after == null || before.length < 8 || after.length < 8) {
      return Optional.empty();
    }
    long total = 0;
    for (int i = 0; i < 8; i++) {
      total += after[i] - before[i];
    }
    return total <= 0 ? Optional.empty()
        : Optional.of(Math.round(1000.0 * (after[7] - before[7]) / total) / 10.0);
  }

  private static JsonObject machine() {
    var machine = new JsonObject()
        .put("cores", Runtime.getRuntime().availableProcessors())
        .put("java", System.getProperty("java.vm.name") + " " + Runtime.version())
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
        .put("open_files_limit", fileLimit());
    try {
      Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
          .ifPresent(l -> machine.put("cpu", l.substring(l.indexOf(':') + 1).trim()));
      Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal")).findFirst()
          .ifPresent(l -> machine.put("memory_bytes", Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024));
    } catch (IOException e) {
      // not Linux: the report has fewer machine facts
    }
    return machine;
  }

  private static String commit() {
    try {
      var process = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes()).trim();
      return process.waitFor() == 0 ? out : "unknown";
    } catch (IOException | InterruptedException e) {
      return "unknown";
    }
  }
}

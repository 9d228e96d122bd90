package dev.parley.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server under test in its own JVM (Parley from {@code target/parley.jar}, or a class of the benchmark), so its
 * memory and CPU are its own: resident set size and CPU time from {@code /proc}, heap from its metrics, a full GC
 * through {@code jcmd}.
 */
final class ParleyProcess implements AutoCloseable {
  static final long CLOCK_TICKS = 100; // USER_HZ on Linux
  private final Process process;
  private final int port;
  private final String name;

  private ParleyProcess(String name, Process process, int port) {
    this.name = name;
    this.process = process;
    this.port = port;
  }

  /** Parley itself: {@code java -jar target/parley.jar} with the given environment. */
  static ParleyProcess parley(Map<String, String> env, int port, Path log) throws IOException {
    String opts = System.getenv().getOrDefault("BENCH_PARLEY_JAVA_OPTS", "-Xms1g -Xmx3g");
    List<String> command = new ArrayList<>(List.of(java()));
    command.addAll(List.of(opts.trim().split("\\s+")));
    // BENCH_PARLEY_JAR runs another build (an earlier commit's, for a before/after in one session)
    command.addAll(List.of("-jar", System.getenv().getOrDefault("BENCH_PARLEY_JAR", "target/parley.jar")));
    return start("parley", command, env, port, log, "/health/ready");
  }

  /** A class from the benchmark's own class path (the bare HTTP server). */
  static ParleyProcess benchClass(Class<?> main, int port, Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(java(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        main.getName()));
    command.addAll(List.of(args));
    return start(main.getSimpleName(), command, Map.of(), port, log, "/");
  }

  private static ParleyProcess start(String name, List<String> command, Map<String, String> env, int port, Path log,
      String probe) throws IOException {
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    var started = new ParleyProcess(name, builder.start(), port);
    started.awaitHttp(probe, Duration.ofMinutes(3));
    return started;
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  private void awaitHttp(String path, Duration timeout) throws IOException {
    var client = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(name + " exited with " + process.exitValue() + " before answering");
      }
      try {
        var response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() < 500) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      sleep(200);
    }
    throw new IOException(name + " did not answer " + path + " within " + timeout);
  }

  /** Resident set size in bytes ({@code VmRSS}). */
  long rssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  /** User plus system CPU time consumed so far, in seconds. */
  double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / (double) CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * CPU seconds so far by kind of thread, from {@code /proc/<pid>/task}: {@code compiler} (the JIT's C1 and C2
   * threads), {@code gc}, {@code event_loop_user} and {@code event_loop_system} (Vert.x's event loops, in Java and in
   * the kernel: socket writes, loopback delivery), {@code projectors} (their own threads), and {@code other}.
   */
  Map<String, Double> threadCpu() {
    Map<String, Double> seconds = new java.util.TreeMap<>();
    for (String kind : List.of("compiler", "gc", "event_loop_user", "event_loop_system", "projectors", "other")) {
      seconds.put(kind, 0.0);
    }
    try (var tasks = Files.list(Path.of("/proc/" + pid() + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          double user = Long.parseLong(fields[11]) / (double) CLOCK_TICKS;
          double system = Long.parseLong(fields[12]) / (double) CLOCK_TICKS;
          if (name.contains("Compiler")) {
            seconds.merge("compiler", user + system, Double::sum);
          } else if (name.startsWith("GC") || name.startsWith("G1")) {
            seconds.merge("gc", user + system, Double::sum);
          } else if (name.startsWith("parley-project")) {
            seconds.merge("projectors", user + system, Double::sum);
          } else if (name.startsWith("vert.x-eventloo")) {
            seconds.merge("event_loop_user", user, Double::sum);
            seconds.merge("event_loop_system", system, Double::sum);
          } else {
            seconds.merge("other", user + system, Double::sum);
          }
        } catch (IOException | RuntimeException gone) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return Map.of();
    }
    return seconds;
  }

  /** Runs a full GC in the process ({@code jcmd GC.run}) so heap figures show live data only. */
  void fullGc() {
    Path jcmd = Path.of(java()).resolveSibling("jcmd");
    try {
      new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
    } catch (IOException e) {
      // no jcmd: the heap figure includes garbage, and the report says so through its size
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Heap in use, in bytes, from Parley's Prometheus metrics ({@code jvm_memory_used_bytes{area="heap"}}). */
  long heapUsedBytes() {
    try {
      var response = METRICS_CLIENT.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofLines());
      return (long) response.body()
          .filter(line -> line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\""))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
          .sum();
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** One client for every {@link #metric} call: a client per call leaked a selector thread each, and one hung. */
  private static final HttpClient METRICS_CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** The sum of the samples of metric {@code name} on the process's {@code /metrics}; -1 if it cannot be read. */
  double metric(String name) {
    try {
      var response = METRICS_CLIENT.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return response.body().lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
          .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * Waits until Parley has projected every webhook it acknowledged (its projection backlog is 0), at most
   * {@code limit}; the seconds it took, or -1 if the backlog was still there.
   */
  double awaitProjected(Duration limit) {
    long start = System.nanoTime();
    long deadline = start + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (metric("parley_inbound_projection_backlog") == 0) {
        return Math.round((System.nanoTime() - start) / 1e7) / 100.0;
      }
      sleep(20);
    }
    return -1;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    process.destroy(); // SIGTERM: Parley closes its sockets and pools
    try {
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.parley.crash;

import dev.parley.infra.DataDirLock;
import dev.parley.infra.LeftoverServers;
import dev.parley.testing.TestApp;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Parley (or the provider simulator) in a JVM of its own, started from the test class path as {@code java -jar
 * target/parley.jar} would run it ({@code dev.parley.Main}), so that it can be killed with SIGKILL
 * ({@link #kill()}: {@code Process.destroyForcibly}) and started again on the same data directory. Its output goes
 * to a log file under {@code target/crash/}.
 */
final class ChildJvm implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  /** Children still running: killed if the test JVM exits first (their guardians then stop their stores). */
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "crash-children"));
  }

  private final String name;
  private final Process process;
  private final int port;
  private final Path log;

  private ChildJvm(String name, Process process, int port, Path log) {
    this.name = name;
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** The environment of a Parley child: loopback, the test demo channel, and {@code dataDir} for embedded stores. */
  static Map<String, String> parleyEnv(Path dataDir, int port) {
    Map<String, String> env = new HashMap<>();
    env.put("PARLEY_DATA_DIR", dataDir.toString());
    env.put("PARLEY_HTTP_HOST", "127.0.0.1");
    env.put("PARLEY_HTTP_PORT", Integer.toString(port));
    env.put("PARLEY_DEMO_CHANNEL_ID", TestApp.CHANNEL_ID.toString());
    env.put("PARLEY_DEMO_PHONE_NUMBER_ID", TestApp.PHONE_NUMBER_ID);
    env.put("PARLEY_DEMO_APP_SECRET", TestApp.APP_SECRET);
    env.put("PARLEY_DEMO_VERIFY_TOKEN", TestApp.VERIFY_TOKEN);
    env.put("PARLEY_SHUTDOWN_GRACE", "PT5S");
    env.put("PARLEY_SIMULATOR_ENABLED", "false");
    // the child must not inherit the test run's external servers unless a test passes them on purpose
    env.put("PARLEY_PG_URL", "");
    env.put("PARLEY_REDIS_URL", "");
    return env;
  }

  /** Starts {@code dev.parley.Main} and waits until {@code /health/ready} answers 200. */
  static ChildJvm parley(String name, Map<String, String> env, int port) throws IOException {
    // fsync off as in the test JVM: a killed process loses nothing the kernel already has (a power cut would)
    return start(name, List.of("-Xmx768m", "-Dparley.embedded.fsync=false", "dev.parley.Main"), env, port,
        "/health/ready");
  }

  /** Starts the provider simulator on its own ({@code SimulatorMain}), so that it outlives a killed Parley. */
  static ChildJvm simulator(String name, int port, String number) throws IOException {
    return start(name, List.of("-Xmx256m", "dev.parley.simulator.SimulatorMain", "--port", Integer.toString(port),
        "--number", number), Map.of(), port, "/_simulator/options");
  }

  private static ChildJvm start(String name, List<String> args, Map<String, String> env, int port, String probe)
      throws IOException {
    Path dir = Path.of("target", "crash");
    Files.createDirectories(dir);
    Path log = dir.resolve(name + ".log");
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path")));
    command.addAll(args);
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(key -> key.startsWith("PARLEY_"));
    env.forEach((key, value) -> {
      if (!value.isEmpty()) {
        builder.environment().put(key, value);
      }
    });
    Process process = builder.start();
    LIVE.add(process);
    process.onExit().thenRun(() -> LIVE.remove(process));
    var child = new ChildJvm(name, process, port, log);
    try {
      child.awaitReady(probe, Duration.ofMinutes(2));
    } catch (IOException | RuntimeException e) {
      child.kill();
      throw e;
    }
    return child;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  Path log() {
    return log;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The JVM's direct children (the store guardian, embedded Redis). */
  List<ProcessHandle> children() {
    return process.children().toList();
  }

  /** SIGKILL, as the OOM killer or {@code kill -9} would; waits until it is gone. */
  void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** SIGTERM (Parley shuts down in order), then SIGKILL if it does not end within 60 s. Returns the exit code. */
  int stop() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        kill();
      }
      return process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stop();
    }
  }

  /**
   * Waits until the node's projectors have applied every webhook it acknowledged ({@code
   * parley_inbound_projection_backlog} 0 on every shard): a 200 means the webhook is in the inbound log, and its
   * message is stored a moment later.
   */
  void awaitProjected(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
        double backlog = response.body().lines().filter(line -> line.startsWith("parley_inbound_projection_backlog"))
            .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
        if (response.statusCode() == 200 && backlog == 0) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      sleep(50);
    }
    throw new IOException(name + " still had webhooks to project after " + timeout + "; see " + log);
  }

  private void awaitReady(String path, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException(name + " exited with " + process.exitValue() + " before it was ready; see " + log);
      }
      try {
        var response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      sleep(100);
    }
    throw new IOException(name + " was not ready within " + timeout + "; see " + log);
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * After a test, with every child gone: stops any embedded server still running in {@code dataDir} (what the code
   * under test should have prevented; counted so the test can fail on it) and deletes the directory.
   */
  static int cleanUp(Path dataDir) throws IOException {
    if (dataDir == null || !Files.isDirectory(dataDir)) {
      return 0;
    }
    int left = 0;
    try (var lock = DataDirLock.acquire(dataDir)) {
      for (String store : List.of("postgres", "redis")) {
        Path dir = lock.dir().resolve(store);
        if (Files.isDirectory(dir)) {
          left += LeftoverServers.runningIn(dir, store.equals("postgres") ? "postgres" : "redis-server").size();
        }
      }
      if (left > 0) {
        if (Files.isDirectory(lock.dir().resolve("postgres"))) {
          LeftoverServers.stopPostgres(lock.dir().resolve("postgres"));
        }
        if (Files.isDirectory(lock.dir().resolve("redis"))) {
          LeftoverServers.stopRedis(lock.dir().resolve("redis"), "redis.pid");
        }
      }
    }
    try (var paths = Files.walk(dataDir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
    return left;
  }
}

package dev.parley.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the embedded servers that a Parley which is gone left running in its data directory (kill -9, OOM kill,
 * a guardian that could not act), and clears a stale PostgreSQL lock file (a power cut). Call it only while
 * holding the directory's {@link DataDirLock}: that is what proves no live Parley uses these servers.
 *
 * <p>A process is taken for a server of a directory only when both hold: its executable is the server's
 * ({@code postgres}, {@code redis-server…}) and its working directory is that directory (both servers change into
 * it; read from {@code /proc/<pid>/cwd}). Without {@code /proc} (macOS) the command line must name the directory
 * instead (PostgreSQL's {@code -D}); Redis is then recognised by its pid file and executable only.
 * Blocking (waits for the processes to end): call it from the main thread.
 */
public final class LeftoverServers {
  private static final Logger log = LoggerFactory.getLogger(LeftoverServers.class);
  private static final Path PROC = Path.of("/proc");
  private static final Duration FAST_SHUTDOWN_WAIT = Duration.ofSeconds(30);
  private static final Duration IMMEDIATE_SHUTDOWN_WAIT = Duration.ofSeconds(10);
  private static final Duration TERM_WAIT = Duration.ofSeconds(5);

  private LeftoverServers() {}

  /**
   * Stops a postmaster still running on {@code dataDir} (fast shutdown: SIGINT; then immediate: SIGQUIT; then
   * SIGKILL for it and its processes), and removes a {@code postmaster.pid} whose PID now belongs to another program,
   * which PostgreSQL would otherwise take for a running server. A PID that no longer exists is left to PostgreSQL,
   * which replaces such a file itself.
   */
  public static void stopPostgres(Path dataDir) throws IOException {
    Path dir = dataDir.toRealPath();
    Path pidFile = dir.resolve("postmaster.pid");
    Optional<Long> pid = firstLinePid(pidFile);
    if (pid.isPresent()) {
      Optional<ProcessHandle> process = ProcessHandle.of(pid.get()).filter(ProcessHandle::isAlive);
      if (process.isEmpty()) {
        log.info("postmaster.pid in {} names pid {}, which is not running (a crash or power cut): PostgreSQL "
            + "replaces it", dir, pid.get());
      } else if (isServerOf(process.get(), dir, "postgres")) {
        log.info("found PostgreSQL (pid {}) still running on {}, left by a Parley that is gone: fast shutdown",
            pid.get(), dir);
        stop(process.get(), List.of(new Step("INT", FAST_SHUTDOWN_WAIT), new Step("QUIT", IMMEDIATE_SHUTDOWN_WAIT)));
      } else {
        log.info("postmaster.pid in {} names pid {}, now another program (the PID was reused after a crash or power "
            + "cut): removed the stale file", dir, pid.get());
        Files.deleteIfExists(pidFile);
      }
    }
    // backends whose postmaster was killed outright still hold its shared memory: PostgreSQL refuses to start then
    for (ProcessHandle orphan : runningIn(dir, "postgres")) {
      log.info("found a PostgreSQL process (pid {}) of {} without its postmaster: stopping it", orphan.pid(), dir);
      stop(orphan, List.of(new Step("QUIT", TERM_WAIT)));
    }
  }

  /** Stops a Redis still running in {@code workDir} (from its pid file, or on Linux its working directory). */
  public static void stopRedis(Path workDir, String pidFileName) throws IOException {
    Path dir = workDir.toRealPath();
    List<ProcessHandle> found = new ArrayList<>(runningIn(dir, "redis-server"));
    firstLinePid(dir.resolve(pidFileName))
        .flatMap(ProcessHandle::of)
        .filter(process -> process.isAlive() && found.stream().noneMatch(p -> p.pid() == process.pid()))
        .filter(process -> isServerOf(process, dir, "redis-server"))
        .ifPresent(found::add);
    for (ProcessHandle redis : found) {
      log.info("found Redis (pid {}) still running in {}, left by a Parley that is gone: stopping it", redis.pid(),
          dir);
      // it keeps nothing on disk (save ""), so a SIGKILL after SIGTERM loses nothing
      stop(redis, List.of(new Step("TERM", TERM_WAIT)));
    }
    Files.deleteIfExists(dir.resolve(pidFileName));
  }

  /** Whether {@code process} runs {@code program} in {@code dir} (its working directory; without /proc: names it). */
  static boolean isServerOf(ProcessHandle process, Path dir, String program) {
    if (!executable(process).map(name -> name.startsWith(program)).orElse(false)) {
      return false;
    }
    Optional<Path> cwd = workingDirectory(process.pid());
    if (cwd.isPresent()) {
      return cwd.get().equals(dir);
    }
    return process.info().commandLine().map(line -> line.contains(dir.toString())).orElse(false)
        || program.startsWith("redis"); // Redis rewrites its command line; its pid file named it
  }

  /** Live processes of {@code program} whose working directory is {@code dir} (Linux; none elsewhere). */
  public static List<ProcessHandle> runningIn(Path dir, String program) {
    if (!Files.isDirectory(PROC)) {
      return List.of();
    }
    long self = ProcessHandle.current().pid();
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(p -> p.pid() != self)
          .filter(p -> workingDirectory(p.pid()).map(dir::equals).orElse(false))
          .filter(p -> executable(p).map(name -> name.startsWith(program)).orElse(false))
          .toList();
    }
  }

  private static Optional<String> executable(ProcessHandle process) {
    return process.info().command().map(command -> Path.of(command).getFileName().toString());
  }

  private static Optional<Path> workingDirectory(long pid) {
    try {
      return Optional.of(Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve("cwd")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty(); // no /proc, another user's process, or it just ended
    }
  }

  static Optional<Long> firstLinePid(Path file) {
    try {
      List<String> lines = Files.readAllLines(file);
      return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty(); // absent, or cut short by the crash
    }
  }

  private record Step(String signal, Duration timeout) {}

  /** Sends each step's signal and waits its time for the process to end; SIGKILL when none sufficed. */
  private static void stop(ProcessHandle process, List<Step> steps) throws IOException {
    long started = System.nanoTime();
    for (Step step : steps) {
      signal(process.pid(), step.signal());
      if (awaitExit(process, step.timeout())) {
        log.info("pid {} ended after SIG{} in {} ms", process.pid(), step.signal(), elapsedMillis(started));
        return;
      }
      log.warn("pid {} still running {} s after SIG{}: escalating", process.pid(), step.timeout().toSeconds(),
          step.signal());
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    if (!awaitExit(process, TERM_WAIT)) {
      throw new IOException("pid " + process.pid() + " did not end even after SIGKILL");
    }
    log.info("pid {} ended after SIGKILL in {} ms", process.pid(), elapsedMillis(started));
  }

  private static void signal(long pid, String signal) throws IOException {
    try {
      new ProcessBuilder("kill", "-s", signal, Long.toString(pid)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
    } catch (IOException noKillCommand) { // Windows: no signals, only termination
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while signalling pid " + pid, e);
    }
  }

  private static boolean awaitExit(ProcessHandle process, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (process.isAlive()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !process.isAlive();
      }
    }
    return true;
  }

  private static long elapsedMillis(long startedNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
  }
}

package dev.parley.infra;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny {@code /bin/sh} child that makes the embedded servers die with the JVM. It blocks reading a pipe only this
 * JVM writes to; the kernel closes that pipe when the JVM ends, however it ends (kill -9 included), and the guardian
 * then signals each watched server: the PID it reads from the server's pid file at that moment (so a server restarted
 * meanwhile is still covered), if that process still works in the server's directory. On a normal shutdown the JVM
 * stops the servers itself and {@link #dismiss() dismisses} the guardian, which then exits without signalling.
 *
 * <p>It ignores SIGINT and SIGHUP (Ctrl-C reaches the whole process group; the JVM's own shutdown decides), and
 * survives the JVM. Where there is no {@code /bin/sh} (Windows) there is no guardian: a killed JVM then leaves its
 * servers running until the next start stops them ({@link LeftoverServers}). Without {@code /proc} (macOS) the
 * guardian cannot check the working directory and signals the pid file's PID as it is.
 */
public final class StoreGuardian implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreGuardian.class);
  static final String NAME = "parley-store-guardian";
  private static final Path SHELL = Path.of("/bin/sh");

  // lines: "<signal> <pid file name> <directory>"; "dismiss" ends it quietly; end of input signals every server
  private static final String SCRIPT = """
      trap '' INT HUP
      watched=''
      while IFS= read -r line; do
        [ "$line" = dismiss ] && exit 0
        watched="$watched$line
      "
      done
      printf '%s' "$watched" | while read -r signal file dir; do
        pid=$(head -n 1 "$dir/$file" 2>/dev/null)
        case "$pid" in ''|*[!0-9]*) continue ;; esac
        if [ -d /proc/self ] && [ "$(readlink "/proc/$pid/cwd")" != "$dir" ]; then continue; fi
        kill -s "$signal" "$pid" 2>/dev/null \\
          && echo "$0: the Parley JVM is gone: sent SIG$signal to pid $pid ($dir)" >&2
      done
      """;

  private final Process process;
  private final OutputStream pipe;

  private StoreGuardian(Process process) {
    this.process = process;
    this.pipe = process.getOutputStream();
  }

  /** Starts the guardian, or returns null where the OS has no {@code /bin/sh} (logged). */
  public static StoreGuardian start() throws IOException {
    if (!Files.isExecutable(SHELL)) {
      log.warn("no /bin/sh: the embedded servers will outlive a killed JVM (the next start stops them)");
      return null;
    }
    Process process = new ProcessBuilder(SHELL.toString(), "-c", SCRIPT, NAME)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    log.info("store guardian started (pid {}): the embedded servers stop if this JVM dies", process.pid());
    return new StoreGuardian(process);
  }

  /** The guardian's process, for tests that need to kill it too (a power cut takes everything at once). */
  public long pid() {
    return process.pid();
  }

  /**
   * Watches a server: when the JVM dies, {@code signal} (a name such as {@code INT}) goes to the PID on the first line
   * of {@code pidFile} if that process's working directory is {@code pidFile}'s directory.
   */
  public synchronized void watch(String signal, Path pidFile) throws IOException {
    Path dir = pidFile.getParent().toRealPath();
    send(signal + " " + pidFile.getFileName() + " " + dir);
  }

  /** Ends the guardian without signalling anything (normal shutdown: the servers are stopped by the JVM). */
  public synchronized void dismiss() {
    try {
      send("dismiss");
      pipe.close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly(); // it died already; nothing to dismiss
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public void close() {
    dismiss();
  }

  private void send(String line) throws IOException {
    if (line.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("a directory with a line break cannot be watched: " + line);
    }
    pipe.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    pipe.flush();
  }
}

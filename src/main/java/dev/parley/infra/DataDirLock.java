package dev.parley.infra;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive OS lock on {@code <data dir>/parley.lock}, held for as long as a Parley uses the embedded servers of
 * that directory. The operating system drops it when the process ends however it ends (kill -9, OOM kill, power
 * cut), so whoever gets it knows that no live Parley uses the directory, and that any server process still running
 * there was left behind by one that is gone. The file holds the holder's PID, for the message a second Parley gets.
 *
 * <p>The lock is a POSIX record lock on Unix ({@code fcntl}): it belongs to the process, and closing any other
 * descriptor of the file in the same process would drop it, so nothing else here opens the file while it is held.
 */
public final class DataDirLock implements AutoCloseable {
  static final String FILE_NAME = "parley.lock";
  /** Directories locked by this JVM: a second channel on a locked file must never be opened (closing it unlocks). */
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path dir;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(Path dir, FileChannel channel, FileLock lock) {
    this.dir = dir;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Takes the lock of {@code dataDir} (created if missing), or fails at once with {@link InUse} when another
   * process, or another Parley in this JVM, holds it.
   */
  public static DataDirLock acquire(Path dataDir) throws IOException {
    Files.createDirectories(dataDir);
    Path dir = dataDir.toRealPath();
    if (!HELD.add(dir)) {
      throw new InUse(dir, ProcessHandle.current().pid() + ", this JVM");
    }
    FileChannel channel = null;
    FileLock lock = null;
    try {
      channel = FileChannel.open(dir.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      lock = channel.tryLock();
    } catch (IOException | OverlappingFileLockException e) {
      HELD.remove(dir);
      if (channel != null) {
        channel.close();
      }
      throw e;
    }
    if (lock == null) {
      String holder = holder(channel);
      channel.close();
      HELD.remove(dir);
      throw new InUse(dir, holder);
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
    channel.force(false);
    return new DataDirLock(dir, channel, lock);
  }

  /** The locked directory, as a real path (symbolic links resolved): what a server's working directory shows. */
  public Path dir() {
    return dir;
  }

  /** Releases the lock (the file stays; an empty or stale PID in it means nothing). Idempotent. */
  @Override
  public void close() throws IOException {
    if (channel.isOpen()) {
      lock.release();
      channel.close();
      HELD.remove(dir);
    }
  }

  private static String holder(FileChannel channel) {
    try {
      ByteBuffer buffer = ByteBuffer.allocate(32);
      channel.read(buffer, 0);
      String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
      return pid.isEmpty() ? "unknown" : pid;
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Another live Parley (or another instance in this JVM) uses the directory's embedded servers. */
  public static final class InUse extends IllegalStateException {
    InUse(Path dir, String pid) {
      super("the data directory " + dir + " is in use by another running Parley (pid " + pid + "): stop it first, "
          + "or give this one its own PARLEY_DATA_DIR");
    }
  }
}

package dev.parley.media;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.CopyOptions;
import io.vertx.core.file.FileSystem;
import io.vertx.core.file.OpenOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Media on the local disk under one folder ({@code media.dir}). A file is written to {@code .tmp/} beside the
 * stored ones and moved into place atomically, so a crash leaves at worst a stray temporary file, never a partial
 * stored one. Uploads are received into {@link #uploadsDir()} (same disk) so that storing them is a rename.
 * Several nodes may share the folder (a network disk): keys are unique file ids.
 */
public final class LocalDiskStorage implements MediaStorage {
  private static final Pattern KEY = Pattern.compile("[0-9a-f]{2}/[0-9a-f-]{36}");
  private static final CopyOptions ATOMIC = new CopyOptions().setAtomicMove(true).setReplaceExisting(true);

  private final FileSystem fs;
  private final Path root;
  private final Path tmp;

  /** Creates the folder and its temporary area when missing (blocking: call at start-up). */
  public LocalDiskStorage(Vertx vertx, Path dir) {
    this.fs = vertx.fileSystem();
    this.root = dir.toAbsolutePath().normalize();
    this.tmp = root.resolve(".tmp");
    try {
      Files.createDirectories(tmp.resolve("uploads"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the media folder " + root, e);
    }
  }

  /** Where the HTTP edge writes multipart uploads while they arrive. */
  public Path uploadsDir() {
    return tmp.resolve("uploads");
  }

  @Override
  public Future<Void> put(String key, Buffer bytes) {
    Path target = resolve(key);
    String temporary = tmp.resolve(UUID.randomUUID().toString()).toString();
    return fs.mkdirs(target.getParent().toString())
        .compose(v -> fs.writeFile(temporary, bytes))
        .compose(v -> fs.move(temporary, target.toString(), ATOMIC))
        .recover(failure -> fs.delete(temporary).otherwiseEmpty().compose(v -> Future.failedFuture(failure)));
  }

  @Override
  public Future<Void> putFile(String key, Path file) {
    Path target = resolve(key);
    return fs.mkdirs(target.getParent().toString())
        .compose(v -> fs.move(file.toString(), target.toString(), ATOMIC))
        .recover(notAtomic -> {
          // another disk: copy beside the stored files, then rename into place
          String temporary = tmp.resolve(UUID.randomUUID().toString()).toString();
          return fs.copy(file.toString(), temporary)
              .compose(v -> fs.move(temporary, target.toString(), ATOMIC))
              .compose(v -> fs.delete(file.toString()))
              .recover(failure -> fs.delete(temporary).otherwiseEmpty().compose(v -> Future.failedFuture(failure)));
        });
  }

  @Override
  public Future<Stored> open(String key) {
    String path = resolve(key).toString();
    return fs.props(path)
        .compose(props -> fs.open(path, new OpenOptions().setRead(true).setWrite(false).setCreate(false))
            .map(file -> new Stored(file, props.size(), file::close)))
        .recover(failure -> Future.failedFuture(missing(failure) ? new Missing(key) : failure));
  }

  @Override
  public Future<Buffer> read(String key) {
    return fs.readFile(resolve(key).toString())
        .recover(failure -> Future.failedFuture(missing(failure) ? new Missing(key) : failure));
  }

  @Override
  public Future<Void> delete(String key) {
    return fs.delete(resolve(key).toString()).recover(failure -> missing(failure)
        ? Future.succeededFuture()
        : Future.failedFuture(failure));
  }

  private Path resolve(String key) {
    if (key == null || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("not a media key: " + key);
    }
    return root.resolve(key);
  }

  private static boolean missing(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof NoSuchFileException) {
        return true;
      }
    }
    return false;
  }
}

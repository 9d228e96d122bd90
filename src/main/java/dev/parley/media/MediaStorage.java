package dev.parley.media;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Where media bytes live, by key. Keys are made by Parley from file ids ({@link #keyFor}), never from anything a
 * user or provider sent. Writes are atomic: a reader sees the whole file or none. Every method is asynchronous and
 * safe to call from an event loop.
 */
public interface MediaStorage {

  /** Stores {@code bytes} under {@code key}, replacing what was there. */
  Future<Void> put(String key, Buffer bytes);

  /** Moves a local file (an upload just received) into the storage under {@code key}; the file is gone after. */
  Future<Void> putFile(String key, Path file);

  /** The stored bytes as a stream with their length, to send to a client; fails with {@link Missing} when none. */
  Future<Stored> open(String key);

  /** The whole file in memory (for a provider upload, which takes a buffer); fails with {@link Missing} when none. */
  Future<Buffer> read(String key);

  /** Removes the file; removing a missing one succeeds. */
  Future<Void> delete(String key);

  /** An opened file: read {@code stream} once, then {@code close} it (also when the reader gave up). */
  record Stored(ReadStream<Buffer> stream, long size, Supplier<Future<Void>> close) {}

  /** Nothing is stored under the key. */
  final class Missing extends RuntimeException {
    public Missing(String key) {
      super("no media stored under " + key, null, false, false);
    }
  }

  /** The key of a media file: its id, spread over 256 folders by its first two hex digits. */
  static String keyFor(java.util.UUID fileId) {
    String id = fileId.toString();
    return id.substring(0, 2) + "/" + id;
  }
}

package dev.parley.media;

import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.http.ApiException;
import dev.parley.provider.whatsapp.WhatsAppGraph;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parley's media files as the rest of the server uses them: adding an uploaded file (checked against WhatsApp's
 * types, sizes and the file's real content), finding one, and getting a provider media id to send it with.
 * Thread-safe; call from any event loop. Failures are {@link ApiException}s with the media error codes where the
 * caller is at fault ({@code media_not_found}, {@code media_not_ready}, {@code media_expired},
 * {@code media_too_large}, {@code media_type_unsupported}, {@code media_content_mismatch}), the provider's
 * {@code ProviderException} when an upload is refused.
 */
public final class MediaLibrary {
  /** How long WhatsApp keeps a media id it gave for an upload. */
  public static final Duration PROVIDER_ID_LIFETIME = Duration.ofDays(30);
  /** An uploaded id is reused only while it stays valid this much longer (a queued send may wait a while). */
  static final Duration PROVIDER_ID_MARGIN = Duration.ofDays(1);
  private static final int MAX_FILENAME = 200;

  private final Vertx vertx;
  private final Pool pool;
  private final MediaStorage storage;
  private final WhatsAppGraph graph;
  private final Duration retention;
  private final MediaStore store = new MediaStore();
  /** Uploads under way per file and channel, so simultaneous sends of one file upload it once. */
  private final Map<String, Future<String>> uploading = new ConcurrentHashMap<>();

  public MediaLibrary(Pool pool, MediaStorage storage, WhatsAppGraph graph, Vertx vertx, ParleyConfig.Media config) {
    this.vertx = vertx;
    this.pool = pool;
    this.storage = storage;
    this.graph = graph;
    this.retention = config.retention();
  }

  /** The organization's file; fails with 404 {@code media_not_found} when there is none (or it is another's). */
  public Future<MediaFile> find(SqlClient client, UUID organizationId, UUID id) {
    return store.find(client, organizationId, id).map(found -> found.orElseThrow(MediaLibrary::notFound));
  }

  /**
   * The sending pipeline's check of a file referenced by a message to send (the dispatcher's {@code Sender.Media}):
   * the organization's file, stored, of a MIME type and size WhatsApp takes for {@code messageType}. Answers what
   * the thread shows of it ({@link MediaFile#messageMedia} with its {@code filename}). Fails 404
   * {@code media_not_found}, 409 {@code media_not_ready}, 410 {@code media_expired}, 413 {@code media_too_large},
   * 415 {@code media_type_unsupported}.
   */
  public Future<JsonObject> check(SqlClient client, UUID organizationId, String messageType, UUID mediaId) {
    return find(client, organizationId, mediaId).map(file -> {
      file.requireStored();
      MediaTypes.check(messageType, file.mimeType(), file.size());
      if ("sticker".equals(messageType) && !"sticker".equals(file.type())
          && file.size() > MediaTypes.STICKER_STATIC_MAX_BYTES) {
        // not checked as a sticker when it was uploaded: only the static limit is certain
        throw new ApiException(413, "media_too_large", "a sticker uploaded as " + file.type() + " may have at most "
            + MediaTypes.STICKER_STATIC_MAX_BYTES + " bytes");
      }
      return file.messageMedia(retention).put("filename", file.filename());
    });
  }

  /** {@link #providerMediaId(Channel, MediaFile)} by id (the dispatcher's {@code MediaUploads}). */
  public Future<String> providerMediaId(Channel channel, UUID organizationId, UUID mediaId) {
    return find(pool, organizationId, mediaId).compose(file -> providerMediaId(channel, file));
  }

  /**
   * A provider media id valid on {@code channel} for a stored file of the channel's organization: the one it got
   * when it was last uploaded there if still valid (30 days at WhatsApp, reused until a day before), else the file
   * is uploaded with {@link WhatsAppGraph#upload} and the new id remembered. Fails 409/410/404 as
   * {@link MediaFile#requireStored} when the file cannot be sent, 404 for another organization's file, and with the
   * provider's {@code ProviderException} when the upload is refused.
   */
  public Future<String> providerMediaId(Channel channel, MediaFile file) {
    try {
      file.requireStored();
    } catch (ApiException refused) {
      return Future.failedFuture(refused);
    }
    if (!file.organizationId().equals(channel.organizationId())) {
      return Future.failedFuture(notFound());
    }
    return store.providerMediaId(pool, file.id(), channel.id(), Instant.now().plus(PROVIDER_ID_MARGIN))
        .compose(known -> known.isPresent() ? Future.succeededFuture(known.get()) : upload(channel, file));
  }

  private Future<String> upload(Channel channel, MediaFile file) {
    String key = file.id() + ":" + channel.id();
    Future<String> started = uploading.computeIfAbsent(key, k -> {
      Instant expiresAt = Instant.now().plus(PROVIDER_ID_LIFETIME);
      return storage.read(file.storageKey())
          .compose(bytes -> graph.upload(channel, bytes, file.mimeType(), file.filename()))
          .compose(id -> store.rememberUpload(pool, file.id(), channel.id(), id, expiresAt).map(id));
    });
    started.onComplete(done -> uploading.remove(key, started));
    return started;
  }

  /**
   * Adds a file an agent uploaded (a local file, moved into the storage on success). {@code type} is the message
   * type it is meant for, or null to infer it from the MIME type; {@code mimeType} is what the client declared, or
   * null / {@code application/octet-stream} to take the type of the content. Fails with 400 for an unknown type,
   * 413 {@code media_too_large}, 415 {@code media_type_unsupported}, 422 {@code media_content_mismatch}.
   */
  public Future<MediaFile> add(UUID organizationId, String type, Path file, String mimeType, String filename) {
    String name = filename(filename);
    return vertx.executeBlocking(() -> Scan.of(file), false).compose(scan -> {
      String declared = MediaTypes.canonical(mimeType);
      if (declared == null || declared.equals("application/octet-stream")) {
        declared = MediaTypes.detect(scan.head(), name);
      }
      String messageType = type != null ? type : MediaTypes.messageTypeOf(declared);
      MediaTypes.check(messageType, declared, scan.size());
      MediaTypes.inspect(messageType, declared, scan.size(), scan.head());
      UUID id = UUID.randomUUID();
      String key = MediaStorage.keyFor(id);
      Instant expiresAt = retention == null ? null : Instant.now().plus(retention);
      String stored = declared;
      return storage.putFile(key, file)
          .compose(v -> store.insertUpload(pool, id, organizationId, messageType, stored, scan.size(), scan.sha256(),
              name, key, expiresAt)
              .recover(failure -> storage.delete(key).otherwiseEmpty().compose(x -> Future.failedFuture(failure))));
    });
  }

  /** A file name as shown and sent: the last path segment, no control characters, at most 200 characters. */
  static String filename(String given) {
    if (given == null) {
      return null;
    }
    String name = given.substring(Math.max(given.lastIndexOf('/'), given.lastIndexOf('\\')) + 1)
        .replaceAll("\\p{Cntrl}", "").strip();
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      return null;
    }
    return name.length() > MAX_FILENAME ? name.substring(name.length() - MAX_FILENAME) : name;
  }

  private static ApiException notFound() {
    return new ApiException(404, "media_not_found", "no such media file");
  }

  /** Size, SHA-256 and first bytes of a local file, read once (blocking). */
  record Scan(long size, String sha256, byte[] head) {
    static Scan of(Path file) {
      try (InputStream in = Files.newInputStream(file)) {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] head = new byte[MediaTypes.HEAD_BYTES];
        int headLength = 0;
        long size = 0;
        byte[] chunk = new byte[64 * 1024];
        for (int n; (n = in.read(chunk)) > 0; ) {
          digest.update(chunk, 0, n);
          if (headLength < head.length) {
            int copied = Math.min(n, head.length - headLength);
            System.arraycopy(chunk, 0, head, headLength, copied);
            headLength += copied;
          }
          size += n;
        }
        return new Scan(size, HexFormat.of().formatHex(digest.digest()), Arrays.copyOf(head, headLength));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JVM has SHA-256", e);
      }
    }
  }
}

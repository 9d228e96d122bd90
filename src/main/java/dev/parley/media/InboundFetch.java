package dev.parley.media;

import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.conversation.Committer;
import dev.parley.provider.ProviderException;
import dev.parley.provider.whatsapp.WhatsAppGraph;
import dev.parley.store.ChannelStore;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches one claimed inbound file: resolves the webhook's media id to a short-lived URL, downloads it (bounded by
 * {@code media.max_bytes}), checks its size, its SHA-256 against the webhook's and the provider's, and that its
 * bytes are the type it was sent as; stores it and shows it on its message. Provider errors that can pass are
 * retried with a doubling delay; the rest, and the last attempt, leave the file {@code failed} with the error.
 * Hashing and type detection run off the event loop.
 */
final class InboundFetch {
  private static final Logger log = LoggerFactory.getLogger(InboundFetch.class);
  static final int MAX_ATTEMPTS = 10;
  private static final int CHUNK = 1024 * 1024;
  private static final Duration MAX_DELAY = Duration.ofHours(1);
  /**
   * Provider errors that trying again will not fix: the media id is unknown or expired (webhook media ids live 7
   * days: 131052), or the request is wrong.
   */
  private static final Set<Integer> FINAL_CODES = Set.of(100, 131008, 131009, 131051, 131052, 131053);

  private final Vertx vertx;
  private final Pool pool;
  private final Committer committer;
  private final MediaStorage storage;
  private final WhatsAppGraph graph;
  private final ParleyConfig.Media config;
  private final ChannelStore channels;
  private final MessageStore messages = new MessageStore();
  private final MediaStore store = new MediaStore();
  private final MessageMedia messageMedia;

  InboundFetch(Vertx vertx, Pool pool, Committer committer, MediaStorage storage, WhatsAppGraph graph,
      ParleyConfig.Media config) {
    this.vertx = vertx;
    this.pool = pool;
    this.committer = committer;
    this.storage = storage;
    this.graph = graph;
    this.config = config;
    this.channels = new ChannelStore(pool);
    this.messageMedia = new MessageMedia(config.retention());
  }

  /** A fetch that cannot succeed however often it is tried. */
  static final class Refused extends RuntimeException {
    Refused(String code, String message) {
      super(code + ": " + message, null, false, false);
    }
  }

  private record Checked(String mimeType, long size, String sha256) {}

  /** Fetches and records the outcome; never fails (a failure is recorded on the file). */
  Future<Void> fetch(MediaFile file) {
    return messages.findById(pool, file.messageId())
        .compose(message -> channels.find(file.channelId()).compose(channel -> {
          if (message.isEmpty() || channel.isEmpty()) {
            throw new Refused("media_source_missing", "the message or its channel no longer exists");
          }
          return download(file, message.get(), channel.get());
        }))
        .compose(stored -> record(file, stored))
        .recover(failure -> failed(file, failure))
        .recover(failure -> {
          // PostgreSQL is down: the lease runs out and the sweep tries again
          log.warn("media file {} (message {}): recording the outcome failed: {}", file.id(), file.messageId(),
              failure.toString());
          return Future.succeededFuture();
        });
  }

  private Future<Checked> download(MediaFile file, MessageRow message, Channel channel) {
    long maxBytes = config.maxBytes();
    String webhookSha256 = message.content().getString("sha256");
    return graph.media(channel, file.providerMediaId())
        .compose(info -> {
          if (info.fileSize() > maxBytes) {
            throw new Refused("media_too_large", "the provider says " + info.fileSize() + " bytes; media.max_bytes is "
                + maxBytes);
          }
          return graph.download(channel, info.url(), maxBytes)
              .compose(bytes -> vertx.executeBlocking(() -> check(file, webhookSha256, info, bytes), false)
                  .compose(checked -> storage.put(MediaStorage.keyFor(file.id()), bytes).map(checked)));
        });
  }

  /** Blocking: hashes and sniffs the whole download. */
  private Checked check(MediaFile file, String webhookSha256, WhatsAppGraph.MediaInfo info, Buffer bytes) {
    if (bytes.length() > config.maxBytes()) {
      throw new Refused("media_too_large", bytes.length() + " bytes; media.max_bytes is " + config.maxBytes());
    }
    byte[] digest = sha256(bytes);
    byte[] expected = digestOf(webhookSha256);
    byte[] announced = digestOf(info.sha256());
    if ((expected != null && !MessageDigest.isEqual(digest, expected))
        || (announced != null && !MessageDigest.isEqual(digest, announced))) {
      throw new Refused("media_checksum_mismatch", "the downloaded bytes do not have the SHA-256 the provider gave");
    }
    String declared = file.mimeType() != null && !file.mimeType().equals("application/octet-stream")
        ? file.mimeType()
        : info.mimeType();
    String detected = MediaTypes.detect(bytes.getBytes(0, Math.min(bytes.length(), MediaTypes.HEAD_BYTES)));
    // a customer's document may be of any type, some not recognisable: only a contradiction is refused. Other
    // media are shown inline, so their bytes must be what they claim.
    boolean document = file.type().equals("document");
    if (!MediaTypes.consistent(declared, detected) && !(document && detected.equals("application/octet-stream"))) {
      throw new Refused("media_content_mismatch", "declared " + declared + " but the content is " + detected);
    }
    return new Checked(declared == null ? detected : declared.trim(), bytes.length(), HexFormat.of().formatHex(digest));
  }

  private Future<Void> record(MediaFile file, Checked checked) {
    Instant expiresAt = config.retention() == null ? null : Instant.now().plus(config.retention());
    String key = MediaStorage.keyFor(file.id());
    return committer.<Boolean>transaction((tx, changes) -> store.stored(tx, file.id(), checked.mimeType(),
                checked.size(), checked.sha256(), key, expiresAt)
            .compose(stored -> stored.isEmpty()
                ? Future.succeededFuture(false)
                : messageMedia.show(tx, changes, stored.get()).map(true)))
        .compose(recorded -> {
          if (!recorded) {
            // another node finished it first (its lease had run out): its copy is the one recorded
            log.info("media file {} was recorded elsewhere meanwhile", file.id());
          }
          return Future.<Void>succeededFuture();
        });
  }

  private Future<Void> failed(MediaFile file, Throwable failure) {
    int attempt = file.attempts() + 1;
    String error = failure instanceof Refused || failure instanceof ProviderException
        ? failure.getMessage()
        : "media_fetch_error: " + failure;
    boolean retryable = failure instanceof ProviderException provider
        ? !FINAL_CODES.contains(provider.code())
        : !(failure instanceof Refused);
    if (retryable && attempt < MAX_ATTEMPTS) {
      Duration delay = delay(config.retryBase(), attempt);
      log.info("media file {} (message {}): attempt {} failed ({}); next in {}", file.id(), file.messageId(), attempt,
          error, delay);
      return store.retry(pool, file.id(), error, delay);
    }
    log.warn("media file {} (message {}) failed after {} attempt(s): {}", file.id(), file.messageId(), attempt, error);
    return committer.transaction((tx, changes) -> store.failed(tx, file.id(), error)
        .compose(failed -> failed.isEmpty() ? Future.succeededFuture() : messageMedia.show(tx, changes, failed.get())));
  }

  /** {@code base} doubled per attempt after the first, at most an hour. */
  static Duration delay(Duration base, int attempt) {
    Duration delay = base.multipliedBy(1L << Math.min(attempt - 1, 20));
    return delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay;
  }

  /**
   * A SHA-256 digest as providers write it: base64 in webhooks, hex from the media endpoint. Null when absent or not
   * a digest (then nothing is checked against it).
   */
  static byte[] digestOf(String text) {
    if (text == null) {
      return null;
    }
    String value = text.trim();
    try {
      byte[] digest = value.length() == 64 ? HexFormat.of().parseHex(value.toLowerCase(Locale.ROOT))
          : Base64.getDecoder().decode(value);
      return digest.length == 32 ? digest : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** SHA-256 of a buffer, a megabyte at a time (no copy of the whole file). */
  static byte[] sha256(Buffer bytes) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (int start = 0; start < bytes.length(); start += CHUNK) {
        digest.update(bytes.getBytes(start, Math.min(bytes.length(), start + CHUNK)));
      }
      return digest.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}

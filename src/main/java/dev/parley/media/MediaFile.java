package dev.parley.media;

import dev.parley.http.ApiException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * One media file as PostgreSQL knows it ({@code media_files}).
 *
 * @param channelId inbound: the channel it arrived on; null for uploads
 * @param messageId inbound: the message that brought it; null for uploads
 * @param direction {@code inbound} (fetched from the provider) or {@code outbound} (uploaded by an agent)
 * @param type the message type: image, video, audio, voice, document or sticker
 * @param size bytes; 0 until stored
 * @param sha256 hex digest of the stored bytes; null until stored
 * @param storageKey the {@link MediaStorage} key; null until stored and once an expired file is deleted
 * @param state {@code pending}, {@code stored}, {@code failed} or {@code expired}
 * @param error why fetching failed, or null
 * @param expiresAt when the retention policy deletes it; null: kept forever
 */
public record MediaFile(
    UUID id,
    UUID organizationId,
    UUID channelId,
    UUID messageId,
    String direction,
    String type,
    String providerMediaId,
    String mimeType,
    long size,
    String sha256,
    String filename,
    String storageKey,
    String state,
    String error,
    int attempts,
    Instant expiresAt,
    Instant createdAt) {

  public static final String PENDING = "pending";
  public static final String STORED = "stored";
  public static final String FAILED = "failed";
  public static final String EXPIRED = "expired";

  /** The API path that downloads it. */
  public String url() {
    return "/api/v1/media/" + id;
  }

  /**
   * This file, which must be stored, to be read or sent: 409 {@code media_not_ready} while an inbound file is
   * being fetched, 410 {@code media_expired} once deleted by the retention policy, 404 {@code media_not_found} when
   * it could not be fetched.
   */
  public MediaFile requireStored() {
    return switch (state) {
      case STORED -> this;
      case PENDING -> throw new ApiException(409, "media_not_ready", "the file is still being fetched; try again shortly");
      case EXPIRED -> throw new ApiException(410, "media_expired", "the file was deleted by the retention policy on "
          + text(expiresAt));
      default -> throw new ApiException(404, "media_not_found", "the file could not be fetched: " + error);
    };
  }

  /** The answer to an upload. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("type", type)
        .put("mime_type", mimeType)
        .put("size", size)
        .put("sha256", sha256)
        .put("filename", filename)
        .put("expires_at", text(expiresAt));
  }

  /**
   * What a message shows of its file, as {@code content.media}: state, where to download it, what it is and the
   * retention policy ({@code "forever"} or an ISO-8601 duration such as {@code "P30D"}; null retention is forever).
   */
  public JsonObject messageMedia(Duration retention) {
    var media = new JsonObject()
        .put("state", state)
        .put("file_id", id.toString())
        .put("url", url())
        .put("mime_type", mimeType)
        .put("size", STORED.equals(state) || EXPIRED.equals(state) ? size : null)
        .put("sha256", sha256)
        .put("expires_at", text(expiresAt))
        .put("retention", retention(retention));
    if (error != null && FAILED.equals(state)) {
      media.put("error", error);
    }
    return media;
  }

  /** A retention policy as shown to clients: {@code forever}, {@code P30D} for whole days, else ISO-8601. */
  public static String retention(Duration retention) {
    if (retention == null) {
      return "forever";
    }
    return retention.toSeconds() % 86_400 == 0 ? "P" + retention.toDays() + "D" : retention.toString();
  }

  private static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}

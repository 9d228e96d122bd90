package dev.parley.provider.whatsapp;

import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The WhatsApp Cloud API (Graph API) client: sending, mark-as-read, media upload and download, and template
 * listing. Every failure is a {@link dev.parley.provider.ProviderException} carrying Meta's error code.
 * TODO(simulator branch): implementation.
 */
public final class WhatsAppGraph {

  /** The provider accepted a message: its id ({@code wamid...}), the recipient's wa_id and the optional {@code message_status}. */
  public record Accepted(String messageId, String waId, String messageStatus) {}

  /** A media object's short-lived download URL and what the provider says about the file. */
  public record MediaInfo(String id, String url, String mimeType, String sha256, long fileSize) {}

  public WhatsAppGraph(Vertx vertx, ParleyConfig.WhatsApp config) {
  }

  /** {@code POST /{version}/{phone_number_id}/messages} with {@code message} as the complete request body. */
  public Future<Accepted> send(Channel channel, JsonObject message) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Marks an inbound message (and those before it) read. */
  public Future<Void> markRead(Channel channel, String providerMessageId) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Uploads a file; answers the provider's media id. */
  public Future<String> upload(Channel channel, Buffer bytes, String mimeType, String filename) {
    throw new UnsupportedOperationException("not yet");
  }

  /** {@code GET /{version}/{media_id}}: the short-lived URL and the file's type, hash and size. */
  public Future<MediaInfo> media(Channel channel, String mediaId) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Downloads from a URL {@link #media} answered, with the bearer token; fails past {@code maxBytes}. */
  public Future<Buffer> download(Channel channel, String url, long maxBytes) {
    throw new UnsupportedOperationException("not yet");
  }

  /** Every page of {@code GET /{version}/{waba_id}/message_templates}: the templates as the provider lists them. */
  public Future<JsonArray> templates(Channel channel) {
    throw new UnsupportedOperationException("not yet");
  }

  public Future<Void> close() {
    return Future.succeededFuture();
  }
}

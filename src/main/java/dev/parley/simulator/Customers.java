package dev.parley.simulator;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Simulated customers writing to a number: each message is posted as a signed {@code messages[]} webhook with the
 * sender's profile, and (except reactions) opens the customer's 24-hour window at the simulator.
 */
final class Customers {
  private static final Map<String, String> EXTENSIONS = Map.of("application/pdf", "pdf", "text/plain", "txt",
      "application/msword", "doc", "application/vnd.ms-excel", "xls", "application/vnd.ms-powerpoint", "ppt",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx",
      "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx");
  private static final AtomicLong SEQUENCE = new AtomicLong();
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A message built and on its way: {@code delivered} completes once the webhook answered 2xx. */
  record Posted(CustomerMessage message, Future<Void> delivered) {}

  private final Simulation simulation;

  Customers(Simulation simulation) {
    this.simulation = simulation;
  }

  Posted writes(String phoneNumberId, String waId, String name, String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("a customer message needs text");
    }
    var message = message(waId, "text").put("text", new JsonObject().put("body", text));
    return post(phoneNumberId, waId, name, message, null, true);
  }

  /** A file from the customer: stored at the simulator (downloadable with the number's token) and announced by id. */
  Posted sendsMedia(String phoneNumberId, String waId, String mimeType, Buffer bytes, String caption) {
    String kind = MediaStore.kind(mimeType);
    if (waId == null || !waId.matches("[0-9]{5,15}")) {
      throw new IllegalArgumentException("a wa_id is 5 to 15 digits");
    }
    NumberState state = simulation.number(phoneNumberId);
    if (kind == null || bytes == null || state == null) {
      throw state == null
          ? new ControlRoutes.NoSuchNumber(phoneNumberId)
          : new IllegalArgumentException("WhatsApp does not carry " + mimeType + " files");
    }
    String extension = EXTENSIONS.getOrDefault(mimeType, "bin");
    String filename = kind.equals("document") ? "document." + extension : null;
    MediaStore.MediaFile file = simulation.media.put(phoneNumberId, mimeType, filename, bytes);
    var media = new JsonObject().put("mime_type", mimeType).put("sha256", file.sha256Base64()).put("id", file.id());
    switch (kind) {
      case "audio" -> media.put("voice", mimeType.startsWith("audio/ogg"));
      case "sticker" -> media.put("animated", false);
      case "document" -> media.put("filename", filename);
      default -> { }
    }
    if (caption != null && (kind.equals("image") || kind.equals("video") || kind.equals("document"))) {
      media.put("caption", caption);
    }
    var message = message(waId, kind).put(kind, media);
    return post(phoneNumberId, waId, null, message, file.id(), true);
  }

  /** A reaction ({@code emoji} empty removes it); reactions do not open the window. */
  Posted reacts(String phoneNumberId, String waId, String messageId, String emoji) {
    if (!MessageValidator.wamidShaped(messageId)) {
      throw new IllegalArgumentException("a reaction needs the wamid of the message reacted to");
    }
    var message = message(waId, "reaction")
        .put("reaction", new JsonObject().put("message_id", messageId).put("emoji", emoji == null ? "" : emoji));
    return post(phoneNumberId, waId, null, message, null, false);
  }

  private Posted post(String phoneNumberId, String waId, String name, JsonObject message,
      String mediaId, boolean opensWindow) {
    NumberState state = simulation.number(phoneNumberId);
    if (state == null) {
      throw new ControlRoutes.NoSuchNumber(phoneNumberId);
    }
    if (waId == null || !waId.matches("[0-9]{5,15}")) {
      throw new IllegalArgumentException("a wa_id is 5 to 15 digits");
    }
    String profileName = name != null ? name : state.profileName(waId);
    if (opensWindow) {
      state.customerWrote(waId, name, System.currentTimeMillis());
    }
    JsonObject payload = WebhookPayloads.inbound(state.number, waId,
        profileName != null ? profileName : "Customer " + waId.substring(waId.length() - 4), message);
    var sent = new CustomerMessage(message.getString("id"), waId, mediaId, message.copy());
    return new Posted(sent, simulation.sender().post(state.number, payload));
  }

  private static JsonObject message(String waId, String type) {
    return new JsonObject()
        .put("from", waId)
        .put("id", wamid(waId))
        .put("timestamp", Long.toString(System.currentTimeMillis() / 1000))
        .put("type", type);
  }

  /** A new message id shaped like Meta's ({@code wamid.} + base64). */
  static String wamid(String waId) {
    byte[] random = new byte[9];
    RANDOM.nextBytes(random);
    String raw = waId + "." + Long.toHexString(SEQUENCE.incrementAndGet()).toUpperCase() + "."
        + Base64.getEncoder().encodeToString(random);
    return "wamid.HBgL" + Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }
}

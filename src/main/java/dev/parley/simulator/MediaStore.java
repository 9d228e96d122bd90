package dev.parley.simulator;

import dev.parley.provider.HubSignature;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Media files the simulator holds, in memory: those a number uploaded and those customers sent. Download URLs are
 * signed with a key of this instance and expire, like Meta's {@code lookaside.fbsbx.com} links. Thread-safe.
 */
final class MediaStore {
  /** The path download URLs use (Meta's: {@code /whatsapp_business/attachments/?mid=…&ext=…&hash=…}). */
  static final String DOWNLOAD_PATH = "/whatsapp_business/attachments/";

  /** One file: who owns it (the number whose token may read it), its type and bytes. */
  record MediaFile(String id, String phoneNumberId, String mimeType, String filename, Buffer bytes, String sha256Hex) {
    String sha256Base64() {
      return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256Hex));
    }
  }

  /** Media types WhatsApp takes (Meta's "Supported media types"), by the kind of message they make. */
  private static final Map<String, String> KINDS = Map.ofEntries(
      Map.entry("image/jpeg", "image"), Map.entry("image/png", "image"),
      Map.entry("image/webp", "sticker"),
      Map.entry("video/mp4", "video"), Map.entry("video/3gpp", "video"),
      Map.entry("audio/aac", "audio"), Map.entry("audio/amr", "audio"), Map.entry("audio/mpeg", "audio"),
      Map.entry("audio/mp4", "audio"), Map.entry("audio/ogg", "audio"),
      Map.entry("text/plain", "document"), Map.entry("application/pdf", "document"),
      Map.entry("application/msword", "document"), Map.entry("application/vnd.ms-excel", "document"),
      Map.entry("application/vnd.ms-powerpoint", "document"),
      Map.entry("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "document"),
      Map.entry("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "document"),
      Map.entry("application/vnd.openxmlformats-officedocument.presentationml.presentation", "document"));

  private final Map<String, MediaFile> files = new ConcurrentHashMap<>();
  private final AtomicLong sequence = new AtomicLong(System.currentTimeMillis() % 1_000_000_000L);
  private final String urlKey;

  MediaStore() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    urlKey = HexFormat.of().formatHex(key);
  }

  /** The message kind a MIME type makes ({@code image}, {@code sticker}, {@code video}, {@code audio}, {@code document}), or null when WhatsApp does not take it. */
  static String kind(String mimeType) {
    if (mimeType == null) {
      return null;
    }
    int parameters = mimeType.indexOf(';');
    String bare = (parameters < 0 ? mimeType : mimeType.substring(0, parameters)).trim().toLowerCase(Locale.ROOT);
    return KINDS.get(bare);
  }

  MediaFile put(String phoneNumberId, String mimeType, String filename, Buffer bytes) {
    // numeric ids of 15-16 digits, like Meta's
    String id = Long.toString(1_000_000_000_000_000L + sequence.incrementAndGet() * 7919 % 1_000_000_000_000_000L);
    var file = new MediaFile(id, phoneNumberId, mimeType, filename, bytes.copy(), sha256(bytes.getBytes()));
    files.put(id, file);
    return file;
  }

  MediaFile get(String id) {
    return files.get(id);
  }

  boolean delete(String id) {
    return files.remove(id) != null;
  }

  /** A download URL for {@code file} valid until {@code expiresEpochSecond}. */
  String url(String baseUrl, MediaFile file, long expiresEpochSecond) {
    return baseUrl + DOWNLOAD_PATH + "?mid=" + file.id() + "&ext=" + expiresEpochSecond + "&hash="
        + hash(file.id(), expiresEpochSecond);
  }

  /** Whether a download URL's parameters are ones this store signed and not yet expired. */
  boolean validUrl(String id, String ext, String hash, long nowEpochSecond) {
    if (id == null || ext == null || hash == null) {
      return false;
    }
    long expires;
    try {
      expires = Long.parseLong(ext);
    } catch (NumberFormatException e) {
      return false;
    }
    return expires >= nowEpochSecond && HubSignature.matches("sha256=" + hash,
        (id + ":" + expires).getBytes(StandardCharsets.UTF_8), urlKey);
  }

  private String hash(String id, long expires) {
    return HubSignature.sign((id + ":" + expires).getBytes(StandardCharsets.UTF_8), urlKey).substring("sha256=".length());
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}

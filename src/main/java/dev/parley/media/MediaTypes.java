package dev.parley.media;

import dev.parley.http.ApiException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.mime.MediaType;
import org.apache.tika.mime.MediaTypeRegistry;
import org.apache.tika.mime.MimeTypes;

/**
 * What WhatsApp accepts per message type (the send pipeline and uploads both check with it) and whether a file's
 * bytes are what it claims to be. Types and limits (WhatsApp Cloud API "Supported media types"): image jpeg/png
 * 5 MB; video mp4/3gpp 16 MB; audio aac/amr/mpeg/mp4/ogg 16 MB; document text, pdf and the Office formats 100 MB;
 * sticker webp 100 KB static, 500 KB animated.
 *
 * <p>Content is recognised by Apache Tika's magic numbers and container signatures, never by the name or the
 * declared type. Every method is pure and thread-safe; none blocks (they work on bytes already read: reading a
 * file's {@link #HEAD_BYTES} is the caller's job, off the event loop). Refusals are {@link ApiException}s with
 * stable codes: 413 {@code media_too_large}, 415 {@code media_type_unsupported}, 422 {@code media_content_mismatch}.
 */
public final class MediaTypes {
  /** How much of a file {@link #detect} needs: the longest signature Tika looks for fits in it. */
  public static final int HEAD_BYTES = 64 * 1024;
  public static final long STICKER_STATIC_MAX_BYTES = 100 * 1024;
  public static final long STICKER_ANIMATED_MAX_BYTES = 500 * 1024;
  /** The message types a file can be sent as. Inbound voice notes are {@code voice}, checked as audio. */
  public static final Set<String> MESSAGE_TYPES = Set.of("image", "video", "audio", "document", "sticker");

  private static final long MB = 1024 * 1024;
  private static final MimeTypes TIKA = MimeTypes.getDefaultMimeTypes();
  private static final MediaTypeRegistry REGISTRY = TIKA.getMediaTypeRegistry();
  private static final MediaType UNKNOWN = MediaType.OCTET_STREAM;

  /** A message type's accepted MIME types (canonical form) and largest size. */
  private record Rule(Set<String> mimeTypes, long maxBytes) {}

  private static final Map<String, Rule> RULES = new LinkedHashMap<>();
  /** Names used in the wild for the canonical ones (browsers and phones send either). */
  private static final Map<String, String> ALIASES = Map.of(
      "image/jpg", "image/jpeg",
      "image/pjpeg", "image/jpeg",
      "audio/mp3", "audio/mpeg",
      "audio/x-aac", "audio/aac",
      "audio/x-m4a", "audio/mp4",
      "audio/m4a", "audio/mp4",
      "audio/opus", "audio/ogg",
      "video/3gp", "video/3gpp");

  static {
    RULES.put("image", new Rule(Set.of("image/jpeg", "image/png"), 5 * MB));
    RULES.put("video", new Rule(Set.of("video/mp4", "video/3gpp"), 16 * MB));
    RULES.put("audio", new Rule(Set.of("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"), 16 * MB));
    RULES.put("document", new Rule(Set.of(
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"), 100 * MB));
    RULES.put("sticker", new Rule(Set.of("image/webp"), STICKER_ANIMATED_MAX_BYTES));
  }

  /** What {@link #inspect} found in a file's bytes. */
  public record Inspection(String detectedType, boolean animated) {}

  private MediaTypes() {}

  /**
   * The canonical form of a MIME type: lower case, without parameters ({@code audio/ogg; codecs=opus} is
   * {@code audio/ogg}), common aliases resolved ({@code image/jpg} is {@code image/jpeg}). Null for null or blank.
   */
  public static String canonical(String mimeType) {
    if (mimeType == null || mimeType.isBlank()) {
      return null;
    }
    String base = mimeType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return ALIASES.getOrDefault(base, base);
  }

  /** The message type a MIME type is sent as (webp is a sticker); 415 {@code media_type_unsupported} when none. */
  public static String messageTypeOf(String mimeType) {
    String canonical = canonical(mimeType);
    for (var rule : RULES.entrySet()) {
      if (rule.getValue().mimeTypes().contains(canonical)) {
        return rule.getKey();
      }
    }
    throw unsupported(mimeType);
  }

  /** The largest file of a message type ({@code voice} counts as audio); stickers: the animated limit. */
  public static long maxBytes(String messageType) {
    return rule(messageType).maxBytes();
  }

  /**
   * Checks a declared file before its bytes are looked at: the MIME type is one WhatsApp takes for the message
   * type (415 {@code media_type_unsupported}) and the size within the type's limit (413 {@code media_too_large};
   * for stickers the animated limit, the static one is checked by {@link #inspect}).
   */
  public static void check(String messageType, String mimeType, long size) {
    Rule rule = rule(messageType);
    if (!rule.mimeTypes().contains(canonical(mimeType))) {
      throw new ApiException(415, "media_type_unsupported", "a " + messageType + " cannot be " + mimeType
          + "; accepted: " + String.join(", ", rule.mimeTypes().stream().sorted().toList()));
    }
    if (size > rule.maxBytes()) {
      throw tooLarge(messageType, size, rule.maxBytes());
    }
  }

  /**
   * Checks a file's bytes against what it claims, after {@link #check}: the type detected in {@code head} (the
   * file's first {@link #HEAD_BYTES} or all of it) must be the declared type, a more specific or a more general
   * form of it (422 {@code media_content_mismatch}); a static sticker must be within 100 KB (413).
   */
  public static Inspection inspect(String messageType, String mimeType, long size, byte[] head) {
    String detected = detect(head);
    if (!consistent(mimeType, detected)) {
      throw new ApiException(422, "media_content_mismatch",
          "the file is declared " + canonical(mimeType) + " but its content is " + detected);
    }
    boolean animated = "image/webp".equals(canonical(mimeType)) && animatedWebp(head);
    if (rule(messageType) == RULES.get("sticker") && !animated && size > STICKER_STATIC_MAX_BYTES) {
      throw tooLarge("static sticker", size, STICKER_STATIC_MAX_BYTES);
    }
    return new Inspection(detected, animated);
  }

  /** The type of content, from its first bytes only ({@code application/octet-stream} when unrecognised). */
  public static String detect(byte[] head) {
    return detect(head, null);
  }

  /**
   * The type of content, from its first bytes; {@code filename} (may be null) only refines a generic container
   * (an Office file is a zip or an OLE2 file by its bytes, the name tells which one). For a file that declares no
   * type, not for checking a declared one.
   */
  public static String detect(byte[] head, String filename) {
    var metadata = new Metadata();
    if (filename != null) {
      metadata.set(TikaCoreProperties.RESOURCE_NAME_KEY, filename);
    }
    try {
      MediaType type = TIKA.detect(new ByteArrayInputStream(head), metadata);
      String canonical = canonical(type.getBaseType().toString());
      // the name alone must not decide: keep a name-based answer only when the bytes agree with it
      if (filename != null && !consistent(canonical, detect(head, null))) {
        return detect(head, null);
      }
      return canonical;
    } catch (IOException e) {
      throw new IllegalStateException("reading from memory failed", e); // a ByteArrayInputStream does not fail
    }
  }

  /**
   * Whether content detected as {@code detected} may be served as {@code declared}: the same type, or one a
   * specialisation of the other in Tika's type tree (an mp4 file's signature is QuickTime's, a docx is a zip of
   * Office XML, an Opus voice note is Ogg). Unrecognised content matches nothing.
   */
  public static boolean consistent(String declared, String detected) {
    MediaType a = normalized(declared);
    MediaType b = normalized(detected);
    if (a == null || b == null || a.equals(UNKNOWN) || b.equals(UNKNOWN)) {
      return false;
    }
    return a.equals(b) || REGISTRY.isSpecializationOf(a, b) || REGISTRY.isSpecializationOf(b, a);
  }

  /**
   * An animated WebP: an extended-format file (RIFF....WEBPVP8X) whose feature flags have the animation bit set.
   */
  public static boolean animatedWebp(byte[] head) {
    if (head.length < 21) {
      return false;
    }
    String riff = new String(head, 0, 4, StandardCharsets.ISO_8859_1);
    String webp = new String(head, 8, 4, StandardCharsets.ISO_8859_1);
    String chunk = new String(head, 12, 4, StandardCharsets.ISO_8859_1);
    return riff.equals("RIFF") && webp.equals("WEBP") && chunk.equals("VP8X") && (head[20] & 0x02) != 0;
  }

  private static MediaType normalized(String mimeType) {
    String canonical = canonical(mimeType);
    if (canonical == null) {
      return null;
    }
    // Tika names AAC audio/x-aac and knows audio/aac as its alias
    MediaType parsed = MediaType.parse(canonical.equals("audio/aac") ? "audio/x-aac" : canonical);
    return parsed == null ? null : REGISTRY.normalize(parsed);
  }

  private static Rule rule(String messageType) {
    Rule rule = RULES.get("voice".equals(messageType) ? "audio" : messageType);
    if (rule == null) {
      throw ApiException.invalid("type must be one of image, video, audio, document, sticker");
    }
    return rule;
  }

  private static ApiException unsupported(String mimeType) {
    return new ApiException(415, "media_type_unsupported",
        (mimeType == null ? "a file without a type" : mimeType) + " cannot be sent on WhatsApp");
  }

  private static ApiException tooLarge(String what, long size, long max) {
    return new ApiException(413, "media_too_large", "a " + what + " may have at most " + max + " bytes, this one has "
        + size);
  }
}

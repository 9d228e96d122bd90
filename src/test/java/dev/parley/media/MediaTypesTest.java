package dev.parley.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.http.ApiException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** WhatsApp's media types and limits, and content that must be what it claims (Tika's signatures). */
class MediaTypesTest {
  private static final int MB = 1024 * 1024;

  private static String code(int status, Executable call) {
    ApiException refused = assertThrows(ApiException.class, call);
    assertEquals(status, refused.status(), refused.getMessage());
    return refused.code();
  }

  @Test
  void eachMessageTypeTakesWhatsAppsTypesUpToItsLimit() {
    MediaTypes.check("image", "image/jpeg", 5 * MB);
    MediaTypes.check("image", "image/png", 1);
    MediaTypes.check("video", "video/mp4", 16 * MB);
    MediaTypes.check("video", "video/3gpp", 1);
    MediaTypes.check("audio", "audio/ogg; codecs=opus", 16 * MB);
    MediaTypes.check("voice", "audio/ogg", 1);
    for (String audio : new String[] {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/mp3"}) {
      MediaTypes.check("audio", audio, 1);
    }
    MediaTypes.check("document", "application/pdf", 100L * MB);
    MediaTypes.check("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1);
    MediaTypes.check("document", "text/plain", 1);
    MediaTypes.check("sticker", "image/webp", MediaTypes.STICKER_ANIMATED_MAX_BYTES);

    assertEquals("media_too_large", code(413, () -> MediaTypes.check("image", "image/jpeg", 5 * MB + 1)));
    assertEquals("media_too_large", code(413, () -> MediaTypes.check("video", "video/mp4", 16 * MB + 1)));
    assertEquals("media_too_large", code(413, () -> MediaTypes.check("audio", "audio/aac", 16 * MB + 1)));
    assertEquals("media_too_large", code(413, () -> MediaTypes.check("document", "application/pdf", 100L * MB + 1)));
    assertEquals("media_too_large", code(413, () -> MediaTypes.check("sticker", "image/webp", 500 * 1024 + 1)));
  }

  @Test
  void typesWhatsAppDoesNotTakeForTheMessageTypeAreRefused() {
    assertEquals("media_type_unsupported", code(415, () -> MediaTypes.check("image", "image/gif", 10)));
    assertEquals("media_type_unsupported", code(415, () -> MediaTypes.check("image", "image/webp", 10)));
    assertEquals("media_type_unsupported", code(415, () -> MediaTypes.check("video", "video/quicktime", 10)));
    assertEquals("media_type_unsupported", code(415, () -> MediaTypes.check("document", "application/zip", 10)));
    assertEquals("media_type_unsupported", code(415, () -> MediaTypes.check("document", "text/html", 10)));
    assertEquals("media_type_unsupported", code(415, () -> MediaTypes.messageTypeOf("application/x-msdownload")));
    assertEquals("invalid_request", code(400, () -> MediaTypes.check("gif", "image/gif", 10)));
  }

  @Test
  void theMessageTypeFollowsFromTheMimeType() {
    assertEquals("image", MediaTypes.messageTypeOf("image/jpg"));
    assertEquals("sticker", MediaTypes.messageTypeOf("image/webp"));
    assertEquals("video", MediaTypes.messageTypeOf("video/3gpp"));
    assertEquals("audio", MediaTypes.messageTypeOf("audio/ogg; codecs=opus"));
    assertEquals("document", MediaTypes.messageTypeOf("application/vnd.ms-excel"));
    assertEquals("audio/mpeg", MediaTypes.canonical("Audio/MP3"));
    assertNull(MediaTypes.canonical(" "));
  }

  @Test
  void contentIsRecognisedByItsBytesNotItsName() {
    assertEquals("image/jpeg", MediaTypes.detect(Samples.jpeg()));
    assertEquals("image/png", MediaTypes.detect(Samples.png()));
    assertEquals("image/webp", MediaTypes.detect(Samples.staticWebp(2000)));
    assertEquals("application/pdf", MediaTypes.detect(Samples.pdf()));
    assertEquals("text/html", MediaTypes.detect(Samples.html(), "invoice.pdf"), "a name never overrides the bytes");
    assertEquals("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        MediaTypes.detect(Samples.docx(), "letter.docx"), "a name refines a generic container its bytes agree with");
    assertEquals("application/octet-stream", MediaTypes.detect(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
  }

  @Test
  void declaredTypesMustMatchTheContent() {
    assertEquals("image/jpeg", MediaTypes.inspect("image", "image/jpeg", 100, Samples.jpeg()).detectedType());
    MediaTypes.inspect("video", "video/mp4", 2048, Samples.mp4());
    MediaTypes.inspect("audio", "audio/ogg; codecs=opus", 4096, Samples.oggOpus());
    MediaTypes.inspect("document", "application/pdf", 80, Samples.pdf());
    MediaTypes.inspect("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 500,
        Samples.docx());

    assertEquals("media_content_mismatch", code(422, () -> MediaTypes.inspect("image", "image/png", 100, Samples.jpeg())));
    assertEquals("media_content_mismatch",
        code(422, () -> MediaTypes.inspect("document", "application/pdf", 100, Samples.html())));
    assertEquals("media_content_mismatch",
        code(422, () -> MediaTypes.inspect("image", "image/jpeg", 8, new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
    assertEquals("media_content_mismatch",
        code(422, () -> MediaTypes.inspect("video", "video/mp4", 100, Samples.pdf())));
  }

  @Test
  void staticStickersStopAt100KbAnimatedOnesAt500Kb() {
    assertFalse(MediaTypes.inspect("sticker", "image/webp", 100 * 1024, Samples.staticWebp(100 * 1024)).animated());
    assertEquals("media_too_large",
        code(413, () -> MediaTypes.inspect("sticker", "image/webp", 100 * 1024 + 1, Samples.staticWebp(100 * 1024 + 1))));
    assertTrue(MediaTypes.inspect("sticker", "image/webp", 400 * 1024, Samples.animatedWebp(400 * 1024)).animated());
  }

  @Test
  void retentionIsShownAsForeverOrAnIsoPeriod() {
    assertEquals("forever", MediaFile.retention(null));
    assertEquals("P30D", MediaFile.retention(Duration.ofDays(30)));
    assertEquals("PT2S", MediaFile.retention(Duration.ofSeconds(2)));
  }

  @Test
  void digestsAreReadAsWebhooksAndTheMediaEndpointWriteThem() throws Exception {
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(Samples.jpeg());
    assertArrayEquals(digest, InboundFetch.digestOf(Base64.getEncoder().encodeToString(digest)));
    assertArrayEquals(digest, InboundFetch.digestOf(HexFormat.of().formatHex(digest)));
    assertNull(InboundFetch.digestOf("Jh+2ij6PzUv/J2y+grrtegr/ZMzRxkEPwc24Oyib4s03w9Jc="), "not 32 bytes: not a digest");
    assertNull(InboundFetch.digestOf(null));
  }

  @Test
  void retriesBackOffDoublingUpToAnHour() {
    assertEquals(Duration.ofSeconds(5), InboundFetch.delay(Duration.ofSeconds(5), 1));
    assertEquals(Duration.ofSeconds(40), InboundFetch.delay(Duration.ofSeconds(5), 4));
    assertEquals(Duration.ofHours(1), InboundFetch.delay(Duration.ofSeconds(5), 15));
  }

  @Test
  void uploadedNamesKeepOnlyTheirLastSegment() {
    assertEquals("report.pdf", MediaLibrary.filename("C:\\Users\\ana\\report.pdf"));
    assertEquals("passwd", MediaLibrary.filename("../../etc/passwd"));
    assertNull(MediaLibrary.filename(".."));
  }
}

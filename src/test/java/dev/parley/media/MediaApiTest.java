package dev.parley.media;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Agents upload files to send (checked for type, size and content) and download files of their organization. */
@Tag("e2e")
class MediaApiTest {
  private static final int MB = 1024 * 1024;
  private static Path dir;
  private static TestApp app;
  private static String admin;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("parley-media-api");
    app = TestApp.start(Map.of("PARLEY_MEDIA_DIR", dir.toString(), "PARLEY_MEDIA_MAX_BYTES", String.valueOf(120 * MB)));
    admin = app.adminToken();
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  static HttpResponse<Buffer> upload(TestApp app, String token, String filename, String contentType, byte[] bytes,
      String type) {
    var form = MultipartForm.create();
    if (type != null) {
      form.attribute("type", type);
    }
    form.binaryFileUpload("file", filename, Buffer.buffer(bytes), contentType);
    var request = app.http.request(HttpMethod.POST, app.parley.httpPort(), "127.0.0.1", "/api/v1/media").timeout(60_000);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    return request.sendMultipartForm(form).await();
  }

  private static HttpResponse<Buffer> upload(String filename, String contentType, byte[] bytes, String type) {
    return upload(app, admin, filename, contentType, bytes, type);
  }

  private static HttpResponse<Buffer> download(String token, String id) {
    return app.api(HttpMethod.GET, "/api/v1/media/" + id, null, token);
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Files left in the uploads area once answered requests are cleaned up (a refused or stored upload leaves none). */
  private static long strayUploads() throws Exception {
    long count = 0;
    for (int i = 0; i < 50; i++) { // the body handler deletes refused uploads just after the answer is sent
      try (Stream<Path> files = Files.list(dir.resolve(".tmp/uploads"))) {
        count = files.count();
      }
      if (count == 0) {
        break;
      }
      TestApp.sleep(100);
    }
    return count;
  }

  @Test
  void anUploadedImageIsStoredAndDownloadsIdentical() throws Exception {
    byte[] jpeg = Samples.jpeg();
    var response = upload("photo.jpg", "image/jpeg", jpeg, null);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    JsonObject file = response.bodyAsJsonObject();
    assertEquals("image", file.getString("type"), "inferred from the MIME type");
    assertEquals("image/jpeg", file.getString("mime_type"));
    assertEquals(jpeg.length, file.getLong("size"));
    assertEquals(sha256(jpeg), file.getString("sha256"));
    assertEquals("photo.jpg", file.getString("filename"));
    assertNull(file.getValue("expires_at"), "retention is forever by default");

    var got = download(admin, file.getString("id"));
    assertEquals(200, got.statusCode());
    assertEquals("image/jpeg", got.getHeader("Content-Type"));
    assertEquals("nosniff", got.getHeader("X-Content-Type-Options"));
    assertTrue(got.getHeader("Content-Disposition").startsWith("inline"));
    assertArrayEquals(jpeg, got.body().getBytes());
    assertEquals(0, strayUploads());
  }

  @Test
  void aDocumentDownloadsAsAnAttachmentUnderItsName() throws Exception {
    byte[] docx = Samples.docx();
    // a client that does not know the type: the content (and the name, for which zip it is) tells
    var response = upload("Quarterly report €.docx", "application/octet-stream", docx, null);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    JsonObject file = response.bodyAsJsonObject();
    assertEquals("document", file.getString("type"));
    assertEquals("application/vnd.openxmlformats-officedocument.wordprocessingml.document", file.getString("mime_type"));

    var got = download(admin, file.getString("id"));
    assertEquals(200, got.statusCode());
    assertEquals("attachment; filename=\"Quarterly report _.docx\"; filename*=UTF-8''Quarterly%20report%20%E2%82%AC.docx",
        got.getHeader("Content-Disposition"));
    assertArrayEquals(docx, got.body().getBytes());
  }

  @Test
  void aFileNamePostgresCannotStoreIsRefusedNamingIt() throws Exception {
    long before = app.one("SELECT count(*) AS n FROM media_files").getLong("n");
    Buffer body = Buffer.buffer("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a")
        .appendByte((byte) 0).appendString(".jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
        .appendBytes(Samples.jpeg()).appendString("\r\n--b0undary--\r\n");
    var response = app.http.request(HttpMethod.POST, app.parley.httpPort(), "127.0.0.1", "/api/v1/media")
        .putHeader("Authorization", "Bearer " + admin)
        .putHeader("content-type", "multipart/form-data; boundary=b0undary")
        .sendBuffer(body).await();
    assertEquals(400, response.statusCode(), response.bodyAsString());
    assertEquals("invalid_text", TestApp.errorCode(response), response.bodyAsString());
    assertEquals(before, app.one("SELECT count(*) AS n FROM media_files").getLong("n"));
  }

  @Test
  void aFileOverItsTypesLimitIsRefusedWith413() throws Exception {
    var image = upload("big.jpg", "image/jpeg", Samples.padded(Samples.jpeg(), 5 * MB + 1), null);
    assertEquals(413, image.statusCode(), image.bodyAsString());
    assertEquals("media_too_large", errorCode(image));
    var sticker = upload("s.webp", "image/webp", Samples.staticWebp(100 * 1024 + 1), "sticker");
    assertEquals(413, sticker.statusCode(), sticker.bodyAsString());
    assertEquals("media_too_large", errorCode(sticker));
    var animated = upload("a.webp", "image/webp", Samples.animatedWebp(300 * 1024), null);
    assertEquals(201, animated.statusCode(), animated.bodyAsString());
    assertEquals("sticker", animated.bodyAsJsonObject().getString("type"));
    assertEquals(0, strayUploads());
  }

  @Test
  void aBodyDeclaredOverTheLimitIsRefusedBeforeItIsRead() throws Exception {
    try (var socket = new Socket("127.0.0.1", app.parley.httpPort())) {
      socket.setSoTimeout(10_000);
      String part = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.pdf\"\r\n"
          + "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n";
      String head = "POST /api/v1/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + admin + "\r\n"
          + "Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: " + 200L * MB + "\r\n\r\n";
      socket.getOutputStream().write((head + part).getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      // a few bytes of the 200 MB announced are sent: the answer must come now, and the connection end
      var answer = new StringBuilder();
      byte[] chunk = new byte[4096];
      for (int n; !answer.toString().endsWith("}}") && (n = socket.getInputStream().read(chunk)) > 0; ) {
        answer.append(new String(chunk, 0, n, StandardCharsets.ISO_8859_1));
      }
      assertTrue(answer.toString().startsWith("HTTP/1.1 413"), answer.toString());
      assertTrue(answer.toString().contains("\"media_too_large\""), answer.toString());
      assertEquals(-1, socket.getInputStream().read(), "the connection ends rather than reading the rest");
    }
  }

  @Test
  void typesWhatsAppDoesNotTakeAreRefusedWith415() {
    var gif = upload("anim.gif", "image/gif", Samples.gif(), null);
    assertEquals(415, gif.statusCode(), gif.bodyAsString());
    assertEquals("media_type_unsupported", errorCode(gif));
    var pdfAsImage = upload("scan.pdf", "application/pdf", Samples.pdf(), "image");
    assertEquals(415, pdfAsImage.statusCode());
    assertEquals("media_type_unsupported", errorCode(pdfAsImage));
  }

  @Test
  void contentThatIsNotTheDeclaredTypeIsRefusedWith422() throws Exception {
    var html = upload("invoice.pdf", "application/pdf", Samples.html(), null);
    assertEquals(422, html.statusCode(), html.bodyAsString());
    assertEquals("media_content_mismatch", errorCode(html));
    var jpegAsPng = upload("photo.png", "image/png", Samples.jpeg(), null);
    assertEquals(422, jpegAsPng.statusCode());
    assertEquals("media_content_mismatch", errorCode(jpegAsPng));
    assertEquals(0, strayUploads());
  }

  @Test
  void malformedUploadsAreRefused() {
    var badType = upload("photo.jpg", "image/jpeg", Samples.jpeg(), "gif");
    assertEquals(400, badType.statusCode());
    assertEquals("invalid_request", errorCode(badType));
    var json = app.postJson("/api/v1/media", new JsonObject().put("file", "x"), admin);
    assertEquals(400, json.statusCode(), json.bodyAsString());
    assertEquals("invalid_request", errorCode(json));
    var anonymous = upload(app, null, "photo.jpg", "image/jpeg", Samples.jpeg(), null);
    assertEquals(401, anonymous.statusCode());
  }

  @Test
  void anotherOrganizationCannotDownloadAFile() {
    String id = upload("photo.png", "image/png", Samples.png(), null).bodyAsJsonObject().getString("id");
    UUID other = app.createOrganization("Other Org", UUID.randomUUID(), "900000000000009", "other-secret");
    app.createUser(other, "boss@other.test", "Boss", "admin", "other-password");
    String outsider = app.login("boss@other.test", "other-password");
    var refused = download(outsider, id);
    assertEquals(404, refused.statusCode());
    assertEquals("media_not_found", errorCode(refused));
    // and their own upload is theirs only
    String theirs = upload(app, outsider, "t.png", "image/png", Samples.png(), null).bodyAsJsonObject().getString("id");
    assertEquals(404, download(admin, theirs).statusCode());
    assertEquals(200, download(outsider, theirs).statusCode());

    assertEquals("media_not_found", errorCode(download(admin, UUID.randomUUID().toString())));
    assertEquals("media_not_found", errorCode(download(admin, "not-an-id")));
    assertFalse(download(null, id).statusCode() == 200);
  }
}

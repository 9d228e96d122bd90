package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Media through the simulated Graph API: upload, the 5-minute URL, the download with the bearer token, deletion. */
class SimulatorMediaTest extends SimulatorTestBase {
  private static final Buffer JPEG = Buffer.buffer(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 1, 2, 3, 4, 5});

  @Test
  void anUploadedFileIsLookedUpThenDownloadedOnlyWithTheBearerToken() throws Exception {
    HttpResponse<Buffer> uploaded = upload(TOKEN, "image/jpeg", JPEG, "whatsapp");
    assertEquals(200, uploaded.statusCode(), uploaded.bodyAsString());
    String id = uploaded.bodyAsJsonObject().getString("id");
    assertTrue(id.matches("[0-9]{15,16}"), id);

    HttpResponse<Buffer> info = get("/" + VERSION + "/" + id, TOKEN);
    assertEquals(200, info.statusCode(), info.bodyAsString());
    JsonObject media = info.bodyAsJsonObject();
    assertEquals("whatsapp", media.getString("messaging_product"));
    assertEquals("image/jpeg", media.getString("mime_type"));
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(JPEG.getBytes())),
        media.getString("sha256"), "hex here (base64 in webhooks)");
    assertEquals(Integer.toString(JPEG.length()), media.getString("file_size"));
    assertEquals(id, media.getString("id"));
    String url = media.getString("url");
    assertTrue(url.startsWith(simulator.baseUrl() + "/whatsapp_business/attachments/?mid=" + id + "&ext="), url);

    assertGraphError(get(url, null), 401, 190);
    assertGraphError(get(url, "EAAwrong"), 401, 190);
    HttpResponse<Buffer> download = get(url, TOKEN);
    assertEquals(200, download.statusCode());
    assertEquals("image/jpeg", download.getHeader("content-type"));
    assertEquals(JPEG, download.body());
    assertEquals(404, get(url.replaceAll("hash=[0-9a-f]{4}", "hash=0000"), TOKEN).statusCode(), "a forged link");

    assertGraphError(get("/" + VERSION + "/" + id, "EAAwrong"), 401, 190);
    customerWrites(CUSTOMER);
    assertEquals(200, send(GraphMessagesTest.media("image", new JsonObject().put("id", id).put("caption", "Ours")))
        .statusCode(), "an uploaded id can be sent");

    HttpResponse<Buffer> deleted = http.deleteAbs(simulator.baseUrl() + "/" + VERSION + "/" + id)
        .bearerTokenAuthentication(TOKEN).send().await();
    assertEquals(new JsonObject().put("success", true), deleted.bodyAsJsonObject());
    assertGraphError(get("/" + VERSION + "/" + id, TOKEN), 400, 100);
    assertEquals(404, get(url, TOKEN).statusCode(), "gone with its media");
  }

  @Test
  void anUploadedIdCanBeSent() {
    String id = upload(TOKEN, "application/pdf", Buffer.buffer("%PDF-1.4 invoice"), "whatsapp")
        .bodyAsJsonObject().getString("id");
    customerWrites(CUSTOMER);
    HttpResponse<Buffer> sent = send(GraphMessagesTest.media("document",
        new JsonObject().put("id", id).put("filename", "invoice.pdf").put("caption", "Your invoice")));
    assertEquals(200, sent.statusCode(), sent.bodyAsString());
  }

  @Test
  void uploadsAreRefusedLikeMeta() {
    assertGraphError(upload(null, "image/jpeg", JPEG, "whatsapp"), 401, 190);
    assertGraphError(upload(TOKEN, "application/zip", Buffer.buffer("PK.."), "whatsapp"), 400, 131053);
    assertGraphError(upload(TOKEN, "image/jpeg", JPEG, null), 400, 131008);
    simulator.configure(options -> options.mediaMaxBytes("image", 8));
    JsonObject error = assertGraphError(upload(TOKEN, "image/png", JPEG, "whatsapp"), 400, 131053);
    assertEquals("(#131053) Media upload error", error.getString("message"));
    assertTrue(error.getJsonObject("error_data").getString("details").contains("larger than"));
    HttpResponse<Buffer> noFile = http.postAbs(simulator.baseUrl() + "/" + VERSION + "/" + PHONE_NUMBER_ID + "/media")
        .bearerTokenAuthentication(TOKEN)
        .sendMultipartForm(MultipartForm.create().attribute("messaging_product", "whatsapp").attribute("type", "image/png"))
        .await();
    assertGraphError(noFile, 400, 131008);
  }

  @Test
  void downloadUrlsExpire() throws InterruptedException {
    simulator.configure(options -> options.mediaUrlTtl(Duration.ZERO));
    String id = upload(TOKEN, "image/jpeg", JPEG, "whatsapp").bodyAsJsonObject().getString("id");
    String url = get("/" + VERSION + "/" + id, TOKEN).bodyAsJsonObject().getString("url");
    Thread.sleep(1100); // expiry has a resolution of one second, like Meta's ext parameter
    assertEquals(404, get(url, TOKEN).statusCode());
    String fresh = get("/" + VERSION + "/" + id, TOKEN).bodyAsJsonObject().getString("url");
    assertTrue(!fresh.equals(url), "a new lookup answers a new URL");
  }

  @Test
  void aCustomersFileIsAnnouncedByIdAndDownloadable() throws Exception {
    Buffer voice = Buffer.buffer("OggS voice note");
    CustomerMessage sent = simulator.customerSendsMedia(PHONE_NUMBER_ID, CUSTOMER, "audio/ogg; codecs=opus", voice, "ignored")
        .await();
    JsonObject message = receiver.messages().get(0);
    assertEquals("audio", message.getString("type"));
    JsonObject audio = message.getJsonObject("audio");
    assertEquals(sent.mediaId(), audio.getString("id"));
    assertEquals("audio/ogg; codecs=opus", audio.getString("mime_type"));
    assertEquals(true, audio.getBoolean("voice"));
    assertEquals(Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(voice.getBytes())),
        audio.getString("sha256"), "base64 in webhooks");
    assertTrue(!audio.containsKey("caption"), "audio takes no caption");

    simulator.customerSendsMedia(PHONE_NUMBER_ID, CUSTOMER, "image/jpeg", JPEG, "Look at this").await();
    JsonObject image = receiver.messages().get(1).getJsonObject("image");
    assertEquals("Look at this", image.getString("caption"));
    String url = get("/" + VERSION + "/" + image.getString("id"), TOKEN).bodyAsJsonObject().getString("url");
    assertEquals(JPEG, get(url, TOKEN).body());
  }

  private static HttpResponse<Buffer> upload(String token, String mimeType, Buffer bytes, String messagingProduct) {
    MultipartForm form = MultipartForm.create();
    if (messagingProduct != null) {
      form.attribute("messaging_product", messagingProduct);
    }
    form.attribute("type", mimeType).binaryFileUpload("file", "upload.bin", bytes, mimeType);
    var request = http.postAbs(simulator.baseUrl() + "/" + VERSION + "/" + PHONE_NUMBER_ID + "/media");
    if (token != null) {
      request.bearerTokenAuthentication(token);
    }
    return request.sendMultipartForm(form).await();
  }
}

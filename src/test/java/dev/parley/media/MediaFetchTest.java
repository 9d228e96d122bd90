package dev.parley.media;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.simulator.CustomerMessage;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.simulator.SimulatorOptions;
import dev.parley.store.ChannelStore;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import java.net.ServerSocket;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Inbound media fetched from the provider simulator: stored, shown on the message with a {@code message.updated}
 * event and downloadable; refused content and media the provider no longer has end {@code failed} with the
 * error; an unreachable provider is retried until it answers; a media message no event announced is found by
 * the sweep; an uploaded file gets a provider media id once per channel, and the dispatcher sends it with that id.
 */
@Tag("e2e")
class MediaFetchTest {
  private static final String TOKEN = "sim-media-token";
  private static Vertx simVertx;
  private static ProviderSimulator sim;
  private static TestApp app;
  private static String admin;

  @BeforeAll
  static void start() throws Exception {
    int port;
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    simVertx = Vertx.vertx();
    sim = ProviderSimulator.start(simVertx, new SimulatorOptions()
        .webhookRetryBase(Duration.ofMillis(200)).webhookRetryMax(Duration.ofSeconds(1))
        .shuffleProbability(0).duplicateProbability(0)).await();
    sim.registerNumber(new SimulatedNumber(TestApp.PHONE_NUMBER_ID, "15550002222", TOKEN, TestApp.APP_SECRET,
        "http://127.0.0.1:" + port + "/webhooks/whatsapp/" + TestApp.CHANNEL_ID, "waba-media-test", 80, false));
    app = TestApp.start(Map.of(
        "PARLEY_HTTP_PORT", Integer.toString(port),
        "PARLEY_SIMULATOR_ENABLED", "false",
        "PARLEY_MEDIA_SWEEP_INTERVAL", "PT0.5S",
        "PARLEY_MEDIA_RETRY_BASE", "PT0.2S",
        "PARLEY_DISPATCH_POLL_INTERVAL", "PT0.2S"));
    pointChannelAt(sim.baseUrl());
    admin = app.adminToken();
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    sim.close().await();
    simVertx.close().await();
  }

  private static void pointChannelAt(String baseUrl) {
    app.sql("UPDATE channels SET credentials = credentials || $2 WHERE id = $1", TestApp.CHANNEL_ID,
        new JsonObject().put("access_token", TOKEN).put("api_base_url", baseUrl));
  }

  private static UUID messageId(String wamid) {
    app.settled(); // the simulator's webhook is acknowledged; its message is projected a moment later
    return app.one("SELECT id FROM messages WHERE provider_message_id = $1", wamid).getUUID("id");
  }

  /** The {@code message.updated} event that shows the message's file in {@code state}. */
  private static JsonObject updated(UUID messageId, String state) {
    OrgEvent event = app.awaitEvent(Duration.ofSeconds(20), e -> e.type().equals(OrgEvent.MESSAGE_UPDATED)
        && e.data().getString("id").equals(messageId.toString())
        && e.data().getJsonObject("content").getJsonObject("media") != null
        && state.equals(e.data().getJsonObject("content").getJsonObject("media").getString("state")));
    assertEquals(app.organizationId(), event.organizationId());
    return event.data();
  }

  private static Row file(UUID messageId) {
    return app.one("SELECT * FROM media_files WHERE message_id = $1", messageId);
  }

  private static HttpResponse<Buffer> download(String url) {
    return app.api(HttpMethod.GET, url, null, admin);
  }

  private static String sha256Hex(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      TestApp.sleep(50);
    }
  }

  @Test
  void aCustomersImageIsFetchedStoredAndShownOnItsMessage() throws Exception {
    byte[] jpeg = Samples.jpeg();
    CustomerMessage sent = sim.customerSendsMedia(TestApp.PHONE_NUMBER_ID, "447700900101", "image/jpeg",
        Buffer.buffer(jpeg), "The broken part").await();
    UUID message = messageId(sent.wamid());

    JsonObject shown = updated(message, "stored");
    JsonObject content = shown.getJsonObject("content");
    assertEquals(sent.mediaId(), content.getString("media_id"), "what the webhook said is kept");
    assertEquals("The broken part", content.getString("caption"));
    JsonObject media = content.getJsonObject("media");
    Row row = file(message);
    assertEquals(row.getUUID("id").toString(), media.getString("file_id"));
    assertEquals("/api/v1/media/" + row.getUUID("id"), media.getString("url"));
    assertEquals("image/jpeg", media.getString("mime_type"));
    assertEquals(jpeg.length, media.getLong("size"));
    assertEquals(sha256Hex(jpeg), media.getString("sha256"));
    assertEquals("forever", media.getString("retention"));
    assertNull(media.getValue("expires_at"));
    assertEquals("inbound", row.getString("direction"));
    assertEquals(TestApp.CHANNEL_ID, row.getUUID("channel_id"));
    assertEquals(1, row.getInteger("attempts"));

    var got = download(media.getString("url"));
    assertEquals(200, got.statusCode());
    assertEquals("image/jpeg", got.getHeader("Content-Type"));
    assertArrayEquals(jpeg, got.body().getBytes());
    // the thread shows it too
    JsonObject thread = app.api(HttpMethod.GET, "/api/v1/messages?conversation_id="
        + app.one("SELECT conversation_id FROM messages WHERE id = $1", message).getUUID("conversation_id"), null, admin)
        .bodyAsJsonObject().getJsonArray("data").getJsonObject(0);
    assertEquals("stored", thread.getJsonObject("content").getJsonObject("media").getString("state"));
  }

  @Test
  void voiceNotesAndDocumentsKeepTheirTypeAndName() throws Exception {
    byte[] ogg = Samples.oggOpus();
    CustomerMessage voice = sim.customerSendsMedia(TestApp.PHONE_NUMBER_ID, "447700900102", "audio/ogg; codecs=opus",
        Buffer.buffer(ogg), null).await();
    JsonObject voiceMedia = updated(messageId(voice.wamid()), "stored").getJsonObject("content").getJsonObject("media");
    assertEquals("voice", file(messageId(voice.wamid())).getString("message_type"));
    assertEquals("audio/ogg; codecs=opus", voiceMedia.getString("mime_type"));

    byte[] pdf = Samples.pdf();
    CustomerMessage document = sim.customerSendsMedia(TestApp.PHONE_NUMBER_ID, "447700900102", "application/pdf",
        Buffer.buffer(pdf), "Invoice").await();
    JsonObject media = updated(messageId(document.wamid()), "stored").getJsonObject("content").getJsonObject("media");
    var got = download(media.getString("url"));
    assertArrayEquals(pdf, got.body().getBytes());
    assertEquals("application/pdf", got.getHeader("Content-Type"));
    assertEquals("attachment; filename=\"document.pdf\"; filename*=UTF-8''document.pdf",
        got.getHeader("Content-Disposition"));
  }

  @Test
  void mediaTheProviderNoLongerHasFailsWithTheProvidersError() {
    // webhook media ids live 7 days: after that the Graph API no longer knows them
    JsonObject image = new JsonObject().put("from", "447700900103").put("id", "wamid.media-gone-1")
        .put("timestamp", Long.toString(TestApp.now().getEpochSecond())).put("type", "image")
        .put("image", new JsonObject().put("id", "987654321098765").put("mime_type", "image/jpeg")
            .put("sha256", Base64.getEncoder().encodeToString(new byte[32])));
    var answer = app.postSigned(WhatsAppPayloads.messages(TestApp.PHONE_NUMBER_ID, "447700900103", "Gone", image)
        .encode());
    assertEquals(200, answer.statusCode(), answer.bodyAsString());
    UUID message = messageId("wamid.media-gone-1");

    JsonObject media = updated(message, "failed").getJsonObject("content").getJsonObject("media");
    assertTrue(media.getString("error").startsWith("(100) "), media.encode());
    Row row = file(message);
    assertEquals("failed", row.getString("state"));
    assertEquals(1, row.getInteger("attempts"), "a provider's final answer is not retried");
    assertNull(row.getString("storage_key"));
    var got = download(media.getString("url"));
    assertEquals(404, got.statusCode());
    assertEquals("media_not_found", TestApp.errorCode(got));
  }

  @Test
  void bytesThatAreNotTheAnnouncedTypeAreRefused() {
    CustomerMessage sent = sim.customerSendsMedia(TestApp.PHONE_NUMBER_ID, "447700900104", "image/jpeg",
        Buffer.buffer(Samples.html()), null).await();
    JsonObject media = updated(messageId(sent.wamid()), "failed").getJsonObject("content").getJsonObject("media");
    assertTrue(media.getString("error").startsWith("media_content_mismatch: "), media.encode());
    assertEquals("failed", file(messageId(sent.wamid())).getString("state"));
  }

  @Test
  void anUnreachableProviderIsRetriedUntilItAnswers() throws Exception {
    int dead;
    try (var socket = new ServerSocket(0)) {
      dead = socket.getLocalPort();
    }
    pointChannelAt("http://127.0.0.1:" + dead);
    CustomerMessage sent;
    UUID message;
    try {
      sent = sim.customerSendsMedia(TestApp.PHONE_NUMBER_ID, "447700900105", "image/png", Buffer.buffer(Samples.png()),
          null).await();
      message = messageId(sent.wamid());
      await("a failed attempt", Duration.ofSeconds(20), () -> app.sql(
          "SELECT 1 FROM media_files WHERE message_id = $1 AND attempts >= 2 AND state = 'pending'", message).size() == 1);
      Row pending = file(message);
      assertNotNull(pending.getString("error"));
      assertNull(app.one("SELECT content->'media' AS media FROM messages WHERE id = $1", message).getValue("media"),
          "nothing to show while it is retried");
    } finally {
      pointChannelAt(sim.baseUrl());
    }
    JsonObject media = updated(message, "stored").getJsonObject("content").getJsonObject("media");
    assertEquals(Samples.png().length, media.getLong("size"));
    assertTrue(file(message).getInteger("attempts") >= 3);
  }

  @Test
  void aMediaMessageNoEventAnnouncedIsFoundByTheSweep() throws Exception {
    // a file uploaded by an agent gets a provider media id on the channel, once while it is valid
    byte[] jpeg = Samples.jpeg();
    String fileId = MediaApiTest.upload(app, admin, "p.jpg", "image/jpeg", jpeg, null).bodyAsJsonObject().getString("id");
    MediaLibrary library = app.parley.media();
    Channel channel = new ChannelStore(app.parley.pool()).find(TestApp.CHANNEL_ID).await().orElseThrow();
    MediaFile uploaded = library.find(app.parley.pool(), app.organizationId(), UUID.fromString(fileId)).await();
    String providerId = library.providerMediaId(channel, uploaded).await();
    assertEquals(providerId, library.providerMediaId(channel, app.organizationId(), uploaded.id()).await(),
        "uploaded once while its id is valid");
    assertEquals(1, app.sql("SELECT 1 FROM media_uploads WHERE file_id = $1", uploaded.id()).size());

    // as if the node had crashed between storing the message and publishing its event: only the sweep can find it
    String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(jpeg));
    assertEquals(200, app.postSigned(WhatsAppPayloads.text("447700900106", "Sweep", "wamid.swept-0", TestApp.now(),
        "Hello")).statusCode());
    UUID conversation = app.one("SELECT conversation_id FROM messages WHERE provider_message_id = 'wamid.swept-0'")
        .getUUID("conversation_id");
    UUID message = UUID.randomUUID();
    app.sql("INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, content, "
            + "provider_message_id, sender_type, status, sent_at) "
            + "VALUES ($1, $2, $3, $4, 'inbound', 'image', $5, 'wamid.swept-1', 'contact', 'received', $6)",
        message, app.organizationId(), conversation, TestApp.CHANNEL_ID,
        new JsonObject().put("media_id", providerId).put("mime_type", "image/jpeg").put("sha256", sha256),
        TestApp.now().atOffset(ZoneOffset.UTC));
    JsonObject media = updated(message, "stored").getJsonObject("content").getJsonObject("media");
    assertArrayEquals(jpeg, download(media.getString("url")).body().getBytes());
  }

  @Test
  void anUploadedFileIsSentWithOneProviderUploadForTwoMessages() {
    sim.customerWrites(TestApp.PHONE_NUMBER_ID, "447700900107", "Sender", "Send me the brochure").await();
    app.settled();
    UUID conversation = app.one("SELECT cv.id FROM conversations cv JOIN contacts c ON c.id = cv.contact_id "
        + "WHERE c.mobile_number = '+447700900107'").getUUID("id");
    String service = app.apiKey("media-sender");
    String fileId = MediaApiTest.upload(app, admin, "brochure.pdf", "application/pdf", Samples.pdf(), null)
        .bodyAsJsonObject().getString("id");
    JsonObject message = new JsonObject().put("type", "document").put("document",
        new JsonObject().put("media_id", fileId).put("filename", "brochure.pdf").put("caption", "Our brochure"));
    for (int i = 0; i < 2; i++) {
      var accepted = app.sendMessage(conversation, message, null, service);
      assertEquals(202, accepted.statusCode(), accepted.bodyAsString());
      JsonObject file = accepted.bodyAsJsonObject().getJsonObject("content").getJsonObject("document")
          .getJsonObject("file");
      assertEquals(fileId, file.getString("file_id"), "the thread shows the file");
      assertEquals("application/pdf", file.getString("mime_type"));
    }
    await("both documents accepted by the provider", Duration.ofSeconds(20), () -> sim.stats(TestApp.PHONE_NUMBER_ID)
        .messages().stream().filter(m -> m.type().equals("document")).count() == 2);
    String providerId = app.one("SELECT provider_media_id FROM media_uploads WHERE file_id = $1::uuid", fileId)
        .getString("provider_media_id");
    sim.stats(TestApp.PHONE_NUMBER_ID).messages().stream().filter(m -> m.type().equals("document"))
        .forEach(m -> assertEquals(providerId, m.body().getJsonObject("document").getString("id"), m.body().encode()));

    var notStored = MediaApiTest.upload(app, admin, "x.png", "image/png", Samples.png(), null);
    JsonObject asSticker = new JsonObject().put("type", "sticker").put("sticker",
        new JsonObject().put("media_id", notStored.bodyAsJsonObject().getString("id")));
    var refused = app.sendMessage(conversation, asSticker, null, service);
    assertEquals(415, refused.statusCode(), refused.bodyAsString());
    assertEquals("media_type_unsupported", TestApp.errorCode(refused));
  }
}

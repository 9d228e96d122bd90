package dev.parley.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.simulator.CustomerMessage;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.simulator.SimulatorOptions;
import dev.parley.testing.TestApp;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** With a retention policy, files past it are deleted, marked expired, and their messages say so. */
@Tag("e2e")
class MediaRetentionTest {
  private static final String TOKEN = "sim-retention-token";
  private static Vertx simVertx;
  private static ProviderSimulator sim;
  private static TestApp app;

  @BeforeAll
  static void start() throws Exception {
    int port;
    try (var socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    simVertx = Vertx.vertx();
    sim = ProviderSimulator.start(simVertx, new SimulatorOptions().shuffleProbability(0).duplicateProbability(0))
        .await();
    sim.registerNumber(new SimulatedNumber(TestApp.PHONE_NUMBER_ID, "15550003333", TOKEN, TestApp.APP_SECRET,
        "http://127.0.0.1:" + port + "/webhooks/whatsapp/" + TestApp.CHANNEL_ID, "waba-retention-test", 80, false));
    app = TestApp.start(Map.of(
        "PARLEY_HTTP_PORT", Integer.toString(port),
        "PARLEY_SIMULATOR_ENABLED", "false",
        "PARLEY_MEDIA_RETENTION", "PT3S",
        "PARLEY_MEDIA_SWEEP_INTERVAL", "PT0.5S"));
    app.sql("UPDATE channels SET credentials = credentials || $2 WHERE id = $1", TestApp.CHANNEL_ID,
        new JsonObject().put("access_token", TOKEN).put("api_base_url", sim.baseUrl()));
  }

  @AfterAll
  static void stop() {
    if (app != null) {
      app.close();
    }
    sim.close().await();
    simVertx.close().await();
  }

  private static JsonObject shown(UUID messageId, String state) {
    return app.awaitEvent(Duration.ofSeconds(20), e -> e.type().equals(OrgEvent.MESSAGE_UPDATED)
            && e.data().getString("id").equals(messageId.toString())
            && e.data().getJsonObject("content").getJsonObject("media") != null
            && state.equals(e.data().getJsonObject("content").getJsonObject("media").getString("state")))
        .data().getJsonObject("content").getJsonObject("media");
  }

  @Test
  void filesPastTheRetentionAreDeletedAndTheirMessagesShowIt() throws Exception {
    String admin = app.adminToken();
    Instant before = Instant.now();
    var upload = MediaApiTest.upload(app, admin, "note.pdf", "application/pdf", Samples.pdf(), null);
    assertEquals(201, upload.statusCode(), upload.bodyAsString());
    Instant uploadExpiry = Instant.parse(upload.bodyAsJsonObject().getString("expires_at"));
    assertFalse(uploadExpiry.isBefore(before.plusSeconds(3)), "stored now, kept the retention period");
    String uploadUrl = "/api/v1/media/" + upload.bodyAsJsonObject().getString("id");
    assertEquals(200, app.api(HttpMethod.GET, uploadUrl, null, admin).statusCode());

    CustomerMessage sent = sim.customerSendsMedia(TestApp.PHONE_NUMBER_ID, "447700900201", "image/png",
        Buffer.buffer(Samples.png()), null).await();
    app.settled();
    UUID message = app.one("SELECT id FROM messages WHERE provider_message_id = $1", sent.wamid()).getUUID("id");
    JsonObject stored = shown(message, "stored");
    assertEquals("PT3S", stored.getString("retention"));
    assertNotNull(stored.getString("expires_at"));
    UUID fileId = UUID.fromString(stored.getString("file_id"));
    String key = app.one("SELECT storage_key FROM media_files WHERE id = $1", fileId).getString("storage_key");
    Path bytes = app.parley.config().media().dir().resolve(key);
    assertTrue(Files.exists(bytes));

    JsonObject expired = shown(message, "expired");
    assertEquals(stored.getString("file_id"), expired.getString("file_id"));
    assertEquals("PT3S", expired.getString("retention"));
    var gone = app.api(HttpMethod.GET, expired.getString("url"), null, admin);
    assertEquals(410, gone.statusCode());
    assertEquals("media_expired", TestApp.errorCode(gone));
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    // the bytes are deleted first, then the row forgets their key: wait for both
    while ((Files.exists(bytes)
        || app.one("SELECT storage_key FROM media_files WHERE id = $1", fileId).getValue("storage_key") != null)
        && System.nanoTime() < deadline) {
      TestApp.sleep(50);
    }
    assertFalse(Files.exists(bytes), "the bytes are deleted");
    assertEquals(null, app.one("SELECT storage_key FROM media_files WHERE id = $1", fileId).getValue("storage_key"));

    var uploadGone = app.api(HttpMethod.GET, uploadUrl, null, admin);
    assertEquals(410, uploadGone.statusCode(), "uploads expire too");
    assertEquals("expired", app.one("SELECT state FROM media_files WHERE id = $1::uuid",
        upload.bodyAsJsonObject().getString("id")).getString("state"));
  }
}

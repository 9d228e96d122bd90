package dev.parley.provider.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.ProviderException;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.simulator.SimulatorOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Graph API client against the provider simulator: answers, Meta's errors, timeouts, media and template paging. */
class WhatsAppGraphTest {
  private static final String PHONE_NUMBER_ID = "106540352242922";
  private static final String TOKEN = "EAAgraph-test";
  private static final String CUSTOMER = "16505551234";

  private static Vertx vertx;
  private static HttpServer webhooks;
  private static HttpServer broken;
  private static ProviderSimulator simulator;
  private static WhatsAppGraph graph;
  private static Channel channel;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    webhooks = vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(0, "127.0.0.1").await();
    // answers like a proxy in front of the Graph API would: not Meta's JSON
    broken = vertx.createHttpServer().requestHandler(r -> r.response()
        .setStatusCode(r.path().contains("ok") ? 200 : 502).putHeader("content-type", "text/html")
        .end("<html><body>Bad Gateway</body></html>")).listen(0, "127.0.0.1").await();
    simulator = ProviderSimulator.start(vertx, new SimulatorOptions().sentDelay(Duration.ofMillis(10))).await();
    graph = new WhatsAppGraph(vertx, new ParleyConfig.WhatsApp("https://graph.invalid", "v23.0", Duration.ofMillis(800)));
    channel = channel(simulator.baseUrl(), TOKEN);
  }

  @AfterAll
  static void stop() {
    graph.close().await();
    simulator.close().await();
    vertx.close().await();
  }

  @BeforeEach
  void register() {
    simulator.registerNumber(SimulatedNumber.of(PHONE_NUMBER_ID, TOKEN, "secret",
        "http://127.0.0.1:" + webhooks.actualPort() + "/webhooks/whatsapp/graph-test"));
    simulator.customerWrites(PHONE_NUMBER_ID, CUSTOMER, "Sheena", "Hi").await();
  }

  private static Channel channel(String apiBaseUrl, String token) {
    var credentials = new JsonObject()
        .put(ChannelSecrets.APP_SECRET, "secret")
        .put(ChannelSecrets.WABA_ID, SimulatedNumber.defaultWabaId(PHONE_NUMBER_ID));
    if (apiBaseUrl != null) {
      credentials.put(ChannelSecrets.API_BASE_URL, apiBaseUrl);
    }
    if (token != null) {
      credentials.put(ChannelSecrets.ACCESS_TOKEN, token);
    }
    return new Channel(UUID.randomUUID(), UUID.randomUUID(), WhatsAppProvider.NAME, "Graph test", PHONE_NUMBER_ID, true,
        new ChannelSecrets(credentials));
  }

  private static JsonObject text(String body) {
    return new JsonObject().put("messaging_product", "whatsapp").put("to", "+" + CUSTOMER).put("type", "text")
        .put("text", new JsonObject().put("body", body));
  }

  private static ProviderException failure(Future<?> call) {
    Throwable failure = assertThrows(Throwable.class, call::await);
    return assertInstanceOf(ProviderException.class, failure);
  }

  @Test
  void aSendAnswersTheMessageIdAndTheRecipient() {
    WhatsAppGraph.Accepted accepted = graph.send(channel, text("Hello")).await();
    assertTrue(accepted.messageId().startsWith("wamid."));
    assertEquals(CUSTOMER, accepted.waId());
    assertNull(accepted.messageStatus());
    assertEquals(accepted.messageId(), simulator.stats(PHONE_NUMBER_ID).messages().get(0).wamid());

    JsonObject template = new JsonObject().put("messaging_product", "whatsapp").put("to", CUSTOMER)
        .put("type", "template").put("template", new JsonObject().put("name", "hello_world")
            .put("language", new JsonObject().put("code", "en_US")));
    assertEquals("accepted", graph.send(channel, template).await().messageStatus());
  }

  @Test
  void theConfiguredGraphUrlServesChannelsWithoutTheirOwn() {
    var configured = new WhatsAppGraph(vertx, new ParleyConfig.WhatsApp(simulator.baseUrl() + "/", "v23.0",
        Duration.ofSeconds(5)));
    try {
      assertTrue(configured.send(channel(null, TOKEN), text("via graph_url")).await().messageId().startsWith("wamid."));
    } finally {
      configured.close().await();
    }
  }

  @Test
  void metasErrorsBecomeProviderExceptionsWithTheirCode() {
    ProviderException token = failure(graph.send(channel(simulator.baseUrl(), "EAAwrong"), text("x")));
    assertEquals(190, token.code());
    assertEquals(401, token.httpStatus());
    assertEquals("Invalid OAuth access token - Cannot parse access token", token.title());

    ProviderException invalid = failure(graph.send(channel, text("x").put("text", new JsonObject())));
    assertEquals(131008, invalid.code());
    assertEquals(400, invalid.httpStatus());
    assertEquals("(#131008) Required parameter is missing", invalid.title());
    assertTrue(invalid.details().contains("text['body']"), invalid.details());

    simulator.failNext(PHONE_NUMBER_ID, 130429, 1);
    ProviderException rate = failure(graph.send(channel, text("x")));
    assertEquals(130429, rate.code());
    assertEquals(429, rate.httpStatus());
    assertEquals("(#130429) Rate limit hit", rate.title());

    assertEquals(190, failure(graph.send(channel(simulator.baseUrl(), null), text("x"))).code(), "no token at all");
  }

  @Test
  void noAnswerInTimeIsATimeout() {
    simulator.hangNext(PHONE_NUMBER_ID, 1);
    ProviderException timeout = failure(graph.send(channel, text("never answered")));
    assertEquals(ProviderException.TIMEOUT, timeout.code());
    assertEquals(0, timeout.httpStatus());
    assertEquals(1, simulator.stats(PHONE_NUMBER_ID).accepted(), "the provider did act");
  }

  @Test
  void aRefusedConnectionIsATransportFailureAndForeignAnswersAreUnreadable() {
    HttpServer closed = vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(0, "127.0.0.1").await();
    int port = closed.actualPort();
    closed.close().await();
    assertEquals(ProviderException.TRANSPORT,
        failure(graph.send(channel("http://127.0.0.1:" + port, TOKEN), text("x"))).code());

    String proxy = "http://127.0.0.1:" + broken.actualPort();
    ProviderException gateway = failure(graph.send(channel(proxy, TOKEN), text("x")));
    assertEquals(ProviderException.UNREADABLE, gateway.code());
    assertEquals(502, gateway.httpStatus());
    ProviderException html = failure(graph.media(channel(proxy + "/ok", TOKEN), "123"));
    assertEquals(ProviderException.UNREADABLE, html.code());
    assertEquals(200, html.httpStatus());
  }

  @Test
  void markReadSucceedsAndRefusesAnInvalidId() {
    graph.markRead(channel, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB").await();
    assertEquals(1, simulator.stats(PHONE_NUMBER_ID).markedRead().size());
    assertEquals(131009, failure(graph.markRead(channel, "not-a-wamid")).code());
  }

  @Test
  void mediaGoesUpAndComesBackWithinTheLimit() throws Exception {
    Buffer pdf = Buffer.buffer("%PDF-1.4 " + "x".repeat(5000));
    String id = graph.upload(channel, pdf, "application/pdf", "invoice.pdf").await();
    WhatsAppGraph.MediaInfo info = graph.media(channel, id).await();
    assertEquals(id, info.id());
    assertEquals("application/pdf", info.mimeType());
    assertEquals(pdf.length(), info.fileSize(), "file_size read from a string");
    assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pdf.getBytes())), info.sha256());
    assertEquals(pdf, graph.download(channel, info.url(), 1 << 20).await());

    ProviderException tooLarge = failure(graph.download(channel, info.url(), 1000));
    assertEquals(WhatsAppGraph.MEDIA_DOWNLOAD_ERROR, tooLarge.code());
    assertEquals(190, failure(graph.download(channel(simulator.baseUrl(), "EAAwrong"), info.url(), 1 << 20)).code());
    assertEquals(131053, failure(graph.upload(channel, pdf, "application/zip", "a.zip")).code());
    assertEquals(100, failure(graph.media(channel, "123456789")).code(), "an id the provider does not know");
  }

  @Test
  void aCustomersFileIsDownloadedWhileItStreams() {
    Buffer photo = Buffer.buffer(new byte[300_000]);
    String mediaId = simulator.customerSendsMedia(PHONE_NUMBER_ID, CUSTOMER, "image/jpeg", photo, null).await().mediaId();
    WhatsAppGraph.MediaInfo info = graph.media(channel, mediaId).await();
    assertEquals(photo, graph.download(channel, info.url(), photo.length()).await(), "exactly the limit is fine");
    assertEquals(WhatsAppGraph.MEDIA_DOWNLOAD_ERROR, failure(graph.download(channel, info.url(), photo.length() - 1)).code());
  }

  @Test
  void templatesFollowEveryPage() {
    String waba = SimulatedNumber.defaultWabaId(PHONE_NUMBER_ID);
    for (int i = 0; i < 150; i++) {
      simulator.addTemplate(waba, new JsonObject().put("name", "bulk_" + i).put("language", "en_US")
          .put("category", "MARKETING").put("components", new JsonArray()
              .add(new JsonObject().put("type", "BODY").put("text", "Offer " + i))));
    }
    JsonArray templates = graph.templates(channel).await();
    assertEquals(157, templates.size(), "7 seeded and 150 added, over two pages of 100");
    assertEquals("hello_world", templates.getJsonObject(0).getString("name"));
    assertEquals("bulk_149", templates.getJsonObject(156).getString("name"));

    var noWaba = new Channel(UUID.randomUUID(), UUID.randomUUID(), WhatsAppProvider.NAME, "x", PHONE_NUMBER_ID, true,
        new ChannelSecrets(new JsonObject().put(ChannelSecrets.ACCESS_TOKEN, TOKEN)
            .put(ChannelSecrets.API_BASE_URL, simulator.baseUrl())));
    assertEquals(100, failure(graph.templates(noWaba)).code());
  }
}

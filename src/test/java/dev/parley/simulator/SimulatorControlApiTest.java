package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The JSON control API under {@code /_simulator}, as the standalone simulator and the benchmark use it. */
class SimulatorControlApiTest extends SimulatorTestBase {
  private static final String OTHER = "500000000000001";

  private static HttpResponse<Buffer> control(HttpMethod method, String path, JsonObject body) {
    var request = http.requestAbs(method, simulator.baseUrl() + "/_simulator" + path);
    return (body == null ? request.send() : request.sendJsonObject(body)).await();
  }

  @Test
  void numbersAreRegisteredAndDrivenOverHttp() {
    HttpResponse<Buffer> registered = control(HttpMethod.POST, "/numbers", new JsonObject()
        .put("phone_number_id", OTHER).put("access_token", "EAAcontrol").put("app_secret", APP_SECRET)
        .put("webhook_url", receiver.url()).put("throughput", 2).put("enforce_window", false));
    assertEquals(201, registered.statusCode(), registered.bodyAsString());
    assertEquals(2, registered.bodyAsJsonObject().getInteger("throughput"));
    assertTrue(control(HttpMethod.GET, "/numbers", null).bodyAsString().contains(OTHER));

    assertEquals(200, control(HttpMethod.POST, "/numbers/" + OTHER + "/fail-next",
        new JsonObject().put("code", 131016).put("times", 1)).statusCode());
    assertGraphError(send(OTHER, "EAAcontrol", text(CUSTOMER, "one")), 503, 131016);
    assertEquals(200, send(OTHER, "EAAcontrol", text(CUSTOMER, "two")).statusCode());
    assertEquals(200, send(OTHER, "EAAcontrol", text("16505550100", "three")).statusCode());
    assertGraphError(send(OTHER, "EAAcontrol", text("16505550101", "four")), 429, 130429);

    JsonObject stats = control(HttpMethod.GET, "/stats/" + OTHER, null).bodyAsJsonObject();
    assertEquals(2, stats.getInteger("accepted"));
    assertEquals(1, stats.getInteger("rate_limited"));
    assertEquals(2, stats.getInteger("max_per_second"));
    assertEquals(2, stats.getJsonArray("messages").size());
    assertEquals("text", stats.getJsonArray("messages").getJsonObject(0).getString("type"));
    assertTrue(control(HttpMethod.GET, "/stats?messages=false", null).bodyAsJsonObject().getJsonArray("numbers")
        .stream().map(n -> (JsonObject) n).noneMatch(n -> n.containsKey("messages")));

    assertEquals(204, control(HttpMethod.POST, "/reset", null).statusCode());
    assertEquals(0, control(HttpMethod.GET, "/stats/" + OTHER, null).bodyAsJsonObject().getInteger("accepted"));
    assertEquals(204, control(HttpMethod.DELETE, "/numbers/" + OTHER, null).statusCode());
    assertEquals(404, control(HttpMethod.GET, "/stats/" + OTHER, null).statusCode());
    assertEquals(404, control(HttpMethod.POST, "/numbers/" + OTHER + "/hang-next", new JsonObject()).statusCode());
  }

  @Test
  void customersWriteOverHttp() {
    HttpResponse<Buffer> written = control(HttpMethod.POST, "/customers/messages?wait=true", new JsonObject()
        .put("phone_number_id", PHONE_NUMBER_ID).put("wa_id", CUSTOMER).put("name", "Sheena Nelson").put("text", "Hi!"));
    assertEquals(200, written.statusCode(), written.bodyAsString());
    String wamid = written.bodyAsJsonObject().getString("id");
    assertEquals(wamid, receiver.messages().get(0).getString("id"));
    assertEquals(200, send(text(CUSTOMER, "the window is open")).statusCode());

    HttpResponse<Buffer> media = control(HttpMethod.POST, "/customers/media", new JsonObject()
        .put("phone_number_id", PHONE_NUMBER_ID).put("wa_id", CUSTOMER).put("mime_type", "application/pdf")
        .put("data", Base64.getEncoder().encodeToString("%PDF-1.4".getBytes())).put("caption", "my receipt"));
    assertEquals(202, media.statusCode(), media.bodyAsString());
    String mediaId = media.bodyAsJsonObject().getString("media_id");
    WebhookReceiver.await(Duration.ofSeconds(10), "the document", () -> receiver.messages().size() == 2);
    JsonObject document = receiver.messages().get(1).getJsonObject("document");
    assertEquals(mediaId, document.getString("id"));
    assertEquals("document.pdf", document.getString("filename"));

    assertEquals(202, control(HttpMethod.POST, "/customers/reactions", new JsonObject()
        .put("phone_number_id", PHONE_NUMBER_ID).put("wa_id", CUSTOMER).put("message_id", wamid).put("emoji", "👍"))
        .statusCode());
    assertEquals(400, control(HttpMethod.POST, "/customers/messages", new JsonObject()
        .put("phone_number_id", PHONE_NUMBER_ID).put("wa_id", "not-a-number").put("text", "x")).statusCode());
    assertEquals(404, control(HttpMethod.POST, "/customers/messages", new JsonObject()
        .put("phone_number_id", "404").put("wa_id", CUSTOMER).put("text", "x")).statusCode());
  }

  @Test
  void optionsAreReadAndPatched() {
    HttpResponse<Buffer> patched = control(HttpMethod.PATCH, "/options", new JsonObject()
        .put("latency", "PT0.05S").put("unreachable_prefix", "999").put("timeout_mode", "answer_late"));
    assertEquals(200, patched.statusCode(), patched.bodyAsString());
    assertEquals("PT0.05S", patched.bodyAsJsonObject().getString("latency"));
    assertEquals("999", simulator.options().unreachablePrefix());
    assertEquals(SimulatorOptions.TimeoutMode.ANSWER_LATE, simulator.options().timeoutMode());
    assertEquals(400, control(HttpMethod.PATCH, "/options", new JsonObject().put("no_such_option", 1)).statusCode());
    assertEquals(400, control(HttpMethod.PATCH, "/options", new JsonObject().put("read_probability", 2.0)).statusCode());
    assertEquals(400, control(HttpMethod.PATCH, "/options", new JsonObject().put("latency", "soon")).statusCode());
    assertEquals("PT0.05S", control(HttpMethod.GET, "/options", null).bodyAsJsonObject().getString("latency"),
        "a refused patch changes nothing");
  }

  @Test
  void templatesAreAddedOverHttp() {
    String waba = number().wabaId();
    HttpResponse<Buffer> added = control(HttpMethod.POST, "/templates/" + waba, new JsonObject()
        .put("name", "welcome").put("language", "es_ES").put("category", "MARKETING").put("status", "PENDING")
        .put("components", new io.vertx.core.json.JsonArray()));
    assertEquals(201, added.statusCode(), added.bodyAsString());
    assertEquals(200, control(HttpMethod.PUT, "/templates/" + waba + "/welcome/es_ES/status",
        new JsonObject().put("status", "APPROVED")).statusCode());
    assertEquals(404, control(HttpMethod.PUT, "/templates/" + waba + "/nope/es_ES/status",
        new JsonObject().put("status", "APPROVED")).statusCode());
    assertEquals(400, control(HttpMethod.POST, "/templates/" + waba, new JsonObject().put("name", "x")).statusCode());
  }

  @Test
  void unknownPathsAnswerLikeTheGraphApi() {
    HttpResponse<Buffer> response = get("/nothing/here/at/all", TOKEN);
    assertEquals(404, response.statusCode());
    assertEquals(2500, response.bodyAsJsonObject().getJsonObject("error").getInteger("code"));
  }
}

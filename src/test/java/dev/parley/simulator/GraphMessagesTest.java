package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The simulated Messages API: the bearer check, Meta's validation errors and its success answers. */
class GraphMessagesTest extends SimulatorTestBase {

  @Test
  void aMissingOrWrongBearerTokenIsRefusedWith190() {
    for (String token : new String[] {null, "EAAwrong"}) {
      JsonObject error = assertGraphError(send(PHONE_NUMBER_ID, token, text(CUSTOMER, "hi")), 401, 190);
      assertEquals("Invalid OAuth access token - Cannot parse access token", error.getString("message"));
      assertEquals("OAuthException", error.getString("type"));
    }
    JsonObject unknown = assertGraphError(send("999999999", TOKEN, text(CUSTOMER, "hi")), 400, 100);
    assertEquals("GraphMethodException", unknown.getString("type"));
    assertEquals(33, unknown.getInteger("error_subcode"));
    assertEquals(0, simulator.stats(PHONE_NUMBER_ID).accepted());
  }

  @Test
  void aTextIsAnsweredLikeMeta() {
    customerWrites(CUSTOMER);
    HttpResponse<Buffer> response = send(text("+1 650-555-1234", "Hello!")
        .put("context", new JsonObject().put("message_id", "wamid.quoted")));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject answer = response.bodyAsJsonObject();
    assertEquals("whatsapp", answer.getString("messaging_product"));
    JsonObject contact = answer.getJsonArray("contacts").getJsonObject(0);
    assertEquals("+1 650-555-1234", contact.getString("input"));
    assertEquals(CUSTOMER, contact.getString("wa_id"));
    JsonObject message = answer.getJsonArray("messages").getJsonObject(0);
    assertTrue(message.getString("id").startsWith("wamid."), message.encode());
    assertNull(message.getValue("message_status"), "only templates carry message_status");

    NumberStats stats = simulator.stats(PHONE_NUMBER_ID);
    assertEquals(1, stats.accepted());
    AcceptedMessage accepted = stats.messages().get(0);
    assertEquals(message.getString("id"), accepted.wamid());
    assertEquals("+1 650-555-1234", accepted.to());
    assertEquals(CUSTOMER, accepted.waId());
    assertEquals("text", accepted.type());
    assertEquals("Hello!", accepted.body().getJsonObject("text").getString("body"));
  }

  @Test
  void everyMessageTypeMetaTakesIsAccepted() {
    customerWrites(CUSTOMER);
    Map<String, JsonObject> bodies = new LinkedHashMap<>();
    bodies.put("image", media("image", new JsonObject().put("link", "https://example.com/a.jpg").put("caption", "A")));
    bodies.put("video", media("video", new JsonObject().put("link", "https://example.com/a.mp4")));
    bodies.put("document", media("document", new JsonObject().put("link", "https://example.com/a.pdf")
        .put("filename", "invoice.pdf").put("caption", "Your invoice")));
    bodies.put("audio", media("audio", new JsonObject().put("link", "https://example.com/a.ogg")));
    bodies.put("sticker", media("sticker", new JsonObject().put("link", "https://example.com/a.webp")));
    bodies.put("buttons", interactive(buttons(3, "Change")));
    bodies.put("list", interactive(list(10)));
    bodies.put("cta_url", interactive(ctaUrl("See Dates")));
    bodies.put("reaction", envelope("reaction").put("reaction",
        new JsonObject().put("message_id", "wamid.HBgLtarget").put("emoji", "\uD83D\uDE00")));
    bodies.put("location", envelope("location").put("location", new JsonObject()
        .put("latitude", 37.4611978).put("longitude", -122.2164385).put("name", "HQ")));
    bodies.put("contacts", envelope("contacts").put("contacts", new JsonArray().add(new JsonObject()
        .put("name", new JsonObject().put("formatted_name", "Chandler Bing").put("first_name", "Chandler"))
        .put("phones", new JsonArray().add(new JsonObject().put("phone", "+1 555-555-5555"))))));
    bodies.put("template order_update", orderUpdate("Ana", "#1042", "1042"));
    bodies.put("template hello_world", template("hello_world", "en_US"));
    bodies.put("template appointment_reminder pt_BR", template("appointment_reminder", "pt_BR", new JsonArray()
            .add(component("header", textParameters("5 de maio")))
            .add(component("body", textParameters("Ana", "Dra. Silva", "10:30")))));
    bodies.put("template with an image header", template("new_collection", "en_US", new JsonArray()
            .add(component("header", new JsonArray().add(new JsonObject().put("type", "image")
                .put("image", new JsonObject().put("link", "https://example.com/banner.jpg")))))
            .add(component("body", textParameters("Ana")))));
    for (var entry : bodies.entrySet()) {
      HttpResponse<Buffer> response = send(entry.getValue());
      assertEquals(200, response.statusCode(), entry.getKey() + ": " + response.bodyAsString());
      JsonObject sent = response.bodyAsJsonObject().getJsonArray("messages").getJsonObject(0);
      if (entry.getKey().startsWith("template")) {
        assertEquals("accepted", sent.getString("message_status"), entry.getKey());
      }
    }
    assertEquals(bodies.size(), simulator.stats(PHONE_NUMBER_ID).accepted());
  }

  @Test
  void eachInvalidBodyGetsMetasErrorCode() {
    Map<String, Object[]> cases = new LinkedHashMap<>();
    cases.put("no messaging_product", new Object[] {400, 131008, change(b -> b.remove("messaging_product"))});
    cases.put("messaging_product sms", new Object[] {400, 100, change(b -> b.put("messaging_product", "sms"))});
    cases.put("no to", new Object[] {400, 131008, change(b -> b.remove("to"))});
    cases.put("to not a number", new Object[] {400, 100, change(b -> b.put("to", "call me"))});
    cases.put("unknown type", new Object[] {400, 100, change(b -> b.put("type", "hologram"))});
    cases.put("no text body", new Object[] {400, 131008, change(b -> b.put("text", new JsonObject()))});
    cases.put("text over 4096", new Object[] {400, 100,
        change(b -> b.put("text", new JsonObject().put("body", "x".repeat(4097))))});
    cases.put("context not a wamid", new Object[] {400, 131009,
        change(b -> b.put("context", new JsonObject().put("message_id", "12345")))});
    cases.put("image with id and link", new Object[] {400, 100,
        media("image", new JsonObject().put("id", "1").put("link", "https://example.com/a.jpg"))});
    cases.put("image with neither", new Object[] {400, 100, media("image", new JsonObject().put("caption", "x"))});
    cases.put("image id never uploaded", new Object[] {400, 131009, media("image", new JsonObject().put("id", "4242"))});
    cases.put("caption on audio", new Object[] {400, 100,
        media("audio", new JsonObject().put("link", "https://example.com/a.ogg").put("caption", "no"))});
    cases.put("caption over 1024", new Object[] {400, 100,
        media("image", new JsonObject().put("link", "https://example.com/a.jpg").put("caption", "x".repeat(1025)))});
    cases.put("four reply buttons", new Object[] {400, 131009, interactive(buttons(4, "Change"))});
    cases.put("button title of 21", new Object[] {400, 131009, interactive(buttons(2, "x".repeat(21)))});
    cases.put("eleven list rows", new Object[] {400, 131009, interactive(list(11))});
    cases.put("cta text of 21", new Object[] {400, 131009, interactive(ctaUrl("x".repeat(21)))});
    cases.put("interactive without body", new Object[] {400, 131008,
        change(b -> b.put("type", "interactive").put("interactive", buttons(1, "Ok").copy().put("body", new JsonObject())))});
    cases.put("reaction to a non-wamid", new Object[] {400, 131009, envelope("reaction")
        .put("reaction", new JsonObject().put("message_id", "abc").put("emoji", "x"))});
    cases.put("location without latitude", new Object[] {400, 131008, envelope("location")
        .put("location", new JsonObject().put("longitude", 1.0))});
    cases.put("no contacts", new Object[] {400, 131008, envelope("contacts").put("contacts", new JsonArray())});
    cases.put("unknown template", new Object[] {404, 132001, template("no_such_template", "en_US")});
    cases.put("template in another language", new Object[] {404, 132001, template("hello_world", "fr_FR")});
    cases.put("pending template", new Object[] {404, 132001, template("spring_sale", "en_US", new JsonArray().add(component("body", textParameters("Ana", "20%"))))});
    cases.put("rejected template", new Object[] {404, 132001, template("account_alert", "en_US", new JsonArray().add(component("body", textParameters("1234"))))});
    cases.put("too few body parameters", new Object[] {400, 132000, template("order_update", "en_US", new JsonArray().add(component("body", textParameters("Ana")))
            .add(button(0, "1042")))});
    cases.put("missing URL button parameter", new Object[] {400, 132000, template("order_update", "en_US", new JsonArray().add(component("body", textParameters("Ana", "#1042"))))});
    cases.put("parameters for a template without any", new Object[] {400, 132000, template("hello_world", "en_US", new JsonArray().add(component("body", textParameters("surprise"))))});
    cases.put("template without language", new Object[] {400, 131008, envelope("template")
        .put("template", new JsonObject().put("name", "hello_world"))});

    for (var entry : cases.entrySet()) {
      Object[] expected = entry.getValue();
      HttpResponse<Buffer> response = send((JsonObject) expected[2]);
      String label = entry.getKey() + ": " + response.bodyAsString();
      assertEquals((int) expected[0], response.statusCode(), label);
      JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
      assertEquals((int) expected[1], error.getInteger("code"), label);
      assertTrue(error.getString("message").startsWith("(#" + expected[1] + ") "), label);
      assertEquals("whatsapp", error.getJsonObject("error_data").getString("messaging_product"), label);
      assertFalse(error.getJsonObject("error_data").getString("details").isBlank(), label);
    }
    assertEquals("(#100) Invalid parameter", send((JsonObject) cases.get("unknown type")[2])
        .bodyAsJsonObject().getJsonObject("error").getString("message"));
    assertEquals(0, simulator.stats(PHONE_NUMBER_ID).accepted(), "nothing invalid was accepted");
  }

  @Test
  void markAsReadAnswersSuccessAndRefusesAnIdThatIsNotAWamid() {
    var read = new JsonObject().put("messaging_product", "whatsapp").put("status", "read")
        .put("message_id", "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB").put("typing_indicator", new JsonObject().put("type", "text"));
    HttpResponse<Buffer> response = send(read);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals(new JsonObject().put("success", true), response.bodyAsJsonObject());
    assertEquals(List.of("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB"), simulator.stats(PHONE_NUMBER_ID).markedRead());

    assertGraphError(send(read.copy().put("message_id", "ABGGFlA5FpafAgo6EBtEDAaHiRpdAgo")), 400, 131009);
    assertGraphError(send(read.copy().put("message_id", null)), 400, 131008);
    assertGraphError(send(PHONE_NUMBER_ID, "EAAwrong", read), 401, 190);
    assertEquals(0, simulator.stats(PHONE_NUMBER_ID).accepted(), "marking read sends nothing");
  }

  // ---- bodies ----

  static JsonObject envelope(String type) {
    return new JsonObject().put("messaging_product", "whatsapp").put("to", CUSTOMER).put("type", type);
  }

  private static JsonObject change(Consumer<JsonObject> change) {
    JsonObject body = text(CUSTOMER, "hello");
    change.accept(body);
    return body;
  }

  static JsonObject media(String type, JsonObject object) {
    return envelope(type).put(type, object);
  }

  private static JsonObject interactive(JsonObject interactive) {
    return envelope("interactive").put("interactive", interactive);
  }

  private static JsonObject buttons(int count, String firstTitle) {
    var buttons = new JsonArray();
    for (int i = 0; i < count; i++) {
      buttons.add(new JsonObject().put("type", "reply").put("reply",
          new JsonObject().put("id", "button-" + i).put("title", i == 0 ? firstTitle : "Option " + i)));
    }
    return new JsonObject().put("type", "button")
        .put("header", new JsonObject().put("type", "text").put("text", "Header"))
        .put("body", new JsonObject().put("text", "Change or cancel?"))
        .put("footer", new JsonObject().put("text", "Footer"))
        .put("action", new JsonObject().put("buttons", buttons));
  }

  private static JsonObject list(int rows) {
    var first = new JsonArray();
    var second = new JsonArray();
    for (int i = 0; i < rows; i++) {
      (i % 2 == 0 ? first : second).add(new JsonObject().put("id", "row-" + i).put("title", "Row " + i)
          .put("description", "Description " + i));
    }
    return new JsonObject().put("type", "list")
        .put("body", new JsonObject().put("text", "Choose a shipping option"))
        .put("action", new JsonObject().put("button", "Shipping Options").put("sections", new JsonArray()
            .add(new JsonObject().put("title", "Fast").put("rows", first))
            .add(new JsonObject().put("title", "Cheap").put("rows", second))));
  }

  private static JsonObject ctaUrl(String displayText) {
    return new JsonObject().put("type", "cta_url")
        .put("body", new JsonObject().put("text", "Tap the button below to see available dates."))
        .put("action", new JsonObject().put("name", "cta_url").put("parameters",
            new JsonObject().put("display_text", displayText).put("url", "https://example.com/schedule")));
  }

  static JsonObject template(String name, String language) {
    return envelope("template").put("template", new JsonObject().put("name", name)
        .put("language", new JsonObject().put("policy", "deterministic").put("code", language)));
  }

  static JsonObject template(String name, String language, JsonArray components) {
    JsonObject body = template(name, language);
    body.getJsonObject("template").put("components", components);
    return body;
  }

  static JsonObject orderUpdate(String name, String order, String trackingSuffix) {
    JsonObject body = template("order_update", "en_US");
    body.getJsonObject("template").put("components", new JsonArray()
        .add(component("body", textParameters(name, order)))
        .add(button(0, trackingSuffix)));
    return body;
  }

  static JsonObject component(String type, JsonArray parameters) {
    return new JsonObject().put("type", type).put("parameters", parameters);
  }

  private static JsonObject button(int index, String suffix) {
    return new JsonObject().put("type", "button").put("sub_type", "url").put("index", Integer.toString(index))
        .put("parameters", textParameters(suffix));
  }

  static JsonArray textParameters(String... values) {
    var parameters = new JsonArray();
    for (String value : values) {
      parameters.add(new JsonObject().put("type", "text").put("text", value));
    }
    return parameters;
  }
}

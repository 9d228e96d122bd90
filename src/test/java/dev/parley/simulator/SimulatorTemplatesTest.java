package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code GET /{waba_id}/message_templates}: Meta's shape and paging, and templates changed by tests. */
class SimulatorTemplatesTest extends SimulatorTestBase {

  private static String listPath(String query) {
    return "/" + VERSION + "/" + number().wabaId() + "/message_templates" + query;
  }

  @Test
  void templatesArePagedUntilNextIsAbsent() {
    List<String> names = new ArrayList<>();
    String next = listPath("?limit=2");
    int pages = 0;
    while (next != null) {
      HttpResponse<Buffer> response = get(next, TOKEN);
      assertEquals(200, response.statusCode(), response.bodyAsString());
      JsonObject page = response.bodyAsJsonObject();
      JsonArray data = page.getJsonArray("data");
      assertTrue(data.size() <= 2);
      data.forEach(t -> names.add(((JsonObject) t).getString("name") + "/" + ((JsonObject) t).getString("language")));
      JsonObject cursors = page.getJsonObject("paging").getJsonObject("cursors");
      assertNotNull(cursors.getString("before"));
      assertNotNull(cursors.getString("after"));
      next = page.getJsonObject("paging").getString("next");
      pages++;
    }
    assertEquals(4, pages);
    assertEquals(List.of("hello_world/en_US", "order_update/en_US", "appointment_reminder/en_US",
        "appointment_reminder/pt_BR", "new_collection/en_US", "spring_sale/en_US", "account_alert/en_US"), names);
  }

  @Test
  void aTemplateHasMetasFields() {
    JsonObject page = get(listPath("?name=order_update"), TOKEN).bodyAsJsonObject();
    assertEquals(1, page.getJsonArray("data").size());
    assertNull(page.getJsonObject("paging").getValue("next"));
    JsonObject template = page.getJsonArray("data").getJsonObject(0);
    assertEquals("order_update", template.getString("name"));
    assertEquals("en_US", template.getString("language"));
    assertEquals("APPROVED", template.getString("status"));
    assertEquals("UTILITY", template.getString("category"));
    assertEquals("POSITIONAL", template.getString("parameter_format"));
    assertTrue(template.getString("id").matches("[0-9]+"));
    JsonObject body = template.getJsonArray("components").getJsonObject(0);
    assertEquals("BODY", body.getString("type"));
    assertEquals("Hi {{1}}, your order {{2}} has shipped.", body.getString("text"));
    JsonObject button = template.getJsonArray("components").getJsonObject(1).getJsonArray("buttons").getJsonObject(0);
    assertEquals("URL", button.getString("type"));
    assertTrue(button.getString("url").endsWith("{{1}}"));

    JsonArray approved = get(listPath("?status=APPROVED&limit=100"), TOKEN).bodyAsJsonObject().getJsonArray("data");
    assertEquals(5, approved.size());
    assertEquals("INVALID_FORMAT", get(listPath("?status=REJECTED"), TOKEN).bodyAsJsonObject().getJsonArray("data")
        .getJsonObject(0).getString("rejected_reason"));
  }

  @Test
  void listingNeedsATokenOfTheWaba() {
    assertGraphError(get(listPath(""), null), 401, 190);
    assertGraphError(get(listPath(""), "EAAwrong"), 401, 190);
    simulator.registerNumber(SimulatedNumber.of("400000000000001", "EAAother", APP_SECRET, receiver.url())
        .withWabaId("400000000000999"));
    assertGraphError(get(listPath(""), "EAAother"), 400, 100);
    assertEquals(7, get("/" + VERSION + "/400000000000999/message_templates", "EAAother").bodyAsJsonObject()
        .getJsonArray("data").size(), "every WABA gets the seed set");
    assertGraphError(get(listPath("?limit=0"), TOKEN), 400, 100);
    assertGraphError(get(listPath("?after=bm90LWEtY3Vyc29y"), TOKEN), 400, 100);
  }

  @Test
  void testsAddTemplatesAndChangeTheirStatus() {
    // a WABA of its own, so the other tests keep seeing only the seed set
    String waba = "600000000000999";
    simulator.registerNumber(number().withWabaId(waba));
    JsonObject added = simulator.addTemplate(waba, new JsonObject()
        .put("name", "delivery_slot").put("language", "en_US").put("category", "UTILITY")
        .put("components", new JsonArray().add(new JsonObject().put("type", "BODY")
            .put("text", "Hi {{1}}, pick a delivery slot: {{2}} or {{3}}."))));
    assertEquals("APPROVED", added.getString("status"));
    JsonObject send = GraphMessagesTest.template("delivery_slot", "en_US", new JsonArray()
        .add(GraphMessagesTest.component("body", GraphMessagesTest.textParameters("Ana", "9-12", "14-18"))));
    assertEquals(200, send(send).statusCode());
    assertEquals(1, get("/" + VERSION + "/" + waba + "/message_templates?name=delivery_slot", TOKEN).bodyAsJsonObject()
        .getJsonArray("data").size());

    assertTrue(simulator.setTemplateStatus(waba, "delivery_slot", "en_US", "PAUSED"));
    assertGraphError(send(send), 400, 132015);
    assertTrue(simulator.setTemplateStatus(waba, "delivery_slot", "en_US", "PENDING"));
    assertGraphError(send(send), 404, 132001);
    assertTrue(simulator.setTemplateStatus(waba, "delivery_slot", "en_US", "APPROVED"));
    assertEquals(200, send(send).statusCode());
    assertFalse(simulator.setTemplateStatus(waba, "no_such", "en_US", "APPROVED"));
  }
}

package dev.parley.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The {@code whatsapp_business_account} webhook envelope, encoded the way Meta sends it. */
final class WebhookPayloads {
  private WebhookPayloads() {}

  /** Status updates of one number: {@code entry[].changes[].value.statuses[]}. */
  static JsonObject statuses(SimulatedNumber number, List<JsonObject> statuses) {
    return envelope(number, value(number).put("statuses", new JsonArray(List.copyOf(statuses))));
  }

  /** One customer message with the sender's profile: {@code value.contacts[]} and {@code value.messages[]}. */
  static JsonObject inbound(SimulatedNumber number, String waId, String profileName, JsonObject message) {
    var contact = new JsonObject()
        .put("profile", new JsonObject().put("name", profileName))
        .put("wa_id", waId);
    return envelope(number, value(number)
        .put("contacts", new JsonArray().add(contact))
        .put("messages", new JsonArray().add(message)));
  }

  /**
   * The bytes posted: compact JSON with every non-ASCII character escaped as {@code \\uXXXX} (lowercase hex), which
   * is how Meta sends payloads and what its signature is computed over.
   */
  static Buffer encode(JsonObject payload) {
    String json = payload.encode();
    var out = new StringBuilder(json.length() + 16);
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (c < 0x80) {
        out.append(c);
      } else {
        out.append("\\u").append(String.format("%04x", (int) c));
      }
    }
    return Buffer.buffer(out.toString());
  }

  private static JsonObject value(SimulatedNumber number) {
    return new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("metadata", new JsonObject()
            .put("display_phone_number", number.displayPhoneNumber())
            .put("phone_number_id", number.phoneNumberId()));
  }

  private static JsonObject envelope(SimulatedNumber number, JsonObject value) {
    return new JsonObject()
        .put("object", "whatsapp_business_account")
        .put("entry", new JsonArray().add(new JsonObject()
            .put("id", number.wabaId())
            .put("changes", new JsonArray().add(new JsonObject().put("value", value).put("field", "messages")))));
  }
}

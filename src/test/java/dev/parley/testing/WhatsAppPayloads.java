package dev.parley.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Builds WhatsApp Cloud API webhook bodies (same shapes as the fixtures) with chosen ids and times. */
public final class WhatsAppPayloads {
  private WhatsAppPayloads() {}

  public static JsonObject envelope(String phoneNumberId, JsonObject value) {
    value.put("messaging_product", "whatsapp")
        .put("metadata", new JsonObject().put("display_phone_number", "15550783881").put("phone_number_id", phoneNumberId));
    return new JsonObject()
        .put("object", "whatsapp_business_account")
        .put("entry", new JsonArray().add(new JsonObject()
            .put("id", "102290129340398")
            .put("changes", new JsonArray().add(new JsonObject().put("value", value).put("field", "messages")))));
  }

  public static String text(String from, String name, String id, Instant at, String body) {
    return messages(TestApp.PHONE_NUMBER_ID, from, name, textMessage(from, id, at, body)).encode();
  }

  public static JsonObject textMessage(String from, String id, Instant at, String body) {
    return new JsonObject().put("from", from).put("id", id).put("timestamp", Long.toString(at.getEpochSecond()))
        .put("type", "text").put("text", new JsonObject().put("body", body));
  }

  public static JsonObject messages(String phoneNumberId, String from, String name, JsonObject... messages) {
    var value = new JsonObject()
        .put("contacts", new JsonArray().add(new JsonObject()
            .put("profile", new JsonObject().put("name", name)).put("wa_id", from)))
        .put("messages", new JsonArray(java.util.List.of((Object[]) messages)));
    return envelope(phoneNumberId, value);
  }

  public static String status(String id, String status, Instant at, String recipient) {
    var item = new JsonObject().put("id", id).put("status", status)
        .put("timestamp", Long.toString(at.getEpochSecond())).put("recipient_id", recipient);
    if (status.equals("failed")) {
      item.put("errors", new JsonArray().add(new JsonObject().put("code", 131047).put("title", "Re-engagement message")));
    }
    return envelope(TestApp.PHONE_NUMBER_ID, new JsonObject().put("statuses", new JsonArray().add(item))).encode();
  }

  public static String reaction(String from, String id, Instant at, String target, String emoji) {
    var message = new JsonObject().put("from", from).put("id", id).put("timestamp", Long.toString(at.getEpochSecond()))
        .put("type", "reaction").put("reaction", new JsonObject().put("message_id", target).put("emoji", emoji));
    return messages(TestApp.PHONE_NUMBER_ID, from, "Customer", message).encode();
  }
}

package dev.parley.provider.whatsapp;

import static dev.parley.provider.whatsapp.WhatsAppParser.object;
import static dev.parley.provider.whatsapp.WhatsAppParser.objects;
import static dev.parley.provider.whatsapp.WhatsAppParser.id;
import static dev.parley.provider.whatsapp.WhatsAppParser.required;
import static dev.parley.provider.whatsapp.WhatsAppParser.requiredId;
import static dev.parley.provider.whatsapp.WhatsAppParser.text;
import static dev.parley.provider.whatsapp.WhatsAppParser.timestamp;

import dev.parley.provider.InboundEvent;
import dev.parley.provider.MalformedPayload;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Maps one element of {@code value.messages[]} to a canonical event: a message of a canonical type, or a
 * reaction, an edit or an identity change. Kinds WhatsApp adds later become {@code unsupported} messages with
 * the raw JSON kept, so they are stored and acknowledged rather than retried for days.
 */
final class WhatsAppMessages {
  private static final Set<String> MEDIA = Set.of("image", "video", "audio", "document", "sticker");

  private final String routingKey;
  private final Instant receivedAt;

  WhatsAppMessages(String routingKey, Instant receivedAt) {
    this.routingKey = routingKey;
    this.receivedAt = receivedAt;
  }

  /** A body-less message together with value-level {@code errors[]} is kept as unsupported with the errors. */
  InboundEvent message(JsonObject message, JsonObject profile, JsonArray valueErrors) {
    String id = requiredId(message, "id");
    Instant timestamp = timestamp(message, receivedAt);
    String type = message.getString("type", "unsupported");
    if (type.equals("system")) {
      return system(message, id, timestamp);
    }
    InboundEvent.Sender sender = sender(message, profile);
    String replyTo = null;
    JsonObject context = message.getJsonObject("context");
    if (context != null) {
      replyTo = id(context, "id");
    }
    switch (type) {
      case "reaction" -> {
        JsonObject reaction = object(message, "reaction");
        String emoji = reaction.getString("emoji");
        return new InboundEvent.Reaction(routingKey, id, requiredId(reaction, "message_id"),
            emoji == null || emoji.isEmpty() ? null : emoji, timestamp, sender);
      }
      case "edit" -> {
        JsonObject edit = object(message, "edit");
        JsonObject edited = object(edit, "message");
        Typed typed = typed(edited.getString("type", "unsupported"), edited, null);
        return new InboundEvent.Edit(routingKey, id, requiredId(edit, "original_message_id"), timestamp, sender,
            typed.type, typed.body, typed.content, message);
      }
      default -> {
        Typed typed = typed(type, message, valueErrors);
        decorate(typed.content, message);
        return new InboundEvent.Message(
            routingKey, id, timestamp, sender, typed.type, typed.body, typed.content, replyTo, message);
      }
    }
  }

  private record Typed(String type, String body, JsonObject content) {}

  private Typed typed(String type, JsonObject message, JsonArray valueErrors) {
    JsonObject part = message.getValue(type) instanceof JsonObject object ? object : null;
    if (part == null && !type.equals("unsupported") && !type.equals("unknown") && !type.equals("contacts")
        && !type.equals("request_welcome")) {
      return unsupported(type, message, valueErrors);
    }
    if (MEDIA.contains(type)) {
      return media(type, part);
    }
    return switch (type) {
      case "text" -> new Typed("text", part.getString("body"), new JsonObject());
      case "location" -> new Typed("location", locationSummary(part), part.copy());
      case "contacts" -> {
        List<JsonObject> cards = objects(message, "contacts", true);
        String names = cards.stream()
            .map(card -> card.getJsonObject("name", new JsonObject()).getString("formatted_name"))
            .filter(name -> name != null)
            .collect(Collectors.joining(", "));
        yield new Typed("contacts", names.isEmpty() ? null : names,
            new JsonObject().put("contacts", new JsonArray(List.copyOf(cards))));
      }
      case "interactive" -> interactive(part, message, valueErrors);
      case "button" -> new Typed("interactive", part.getString("text"), new JsonObject()
          .put("kind", "template_button").put("payload", part.getString("payload")).put("title", part.getString("text")));
      case "order" -> {
        int items = objects(part, "product_items", false).size();
        yield new Typed("order", part.getString("text", "Order of " + items + " item(s)"), part.copy());
      }
      default -> unsupported(type, message, valueErrors);
    };
  }

  private static Typed media(String type, JsonObject part) {
    var content = new JsonObject()
        .put("media_id", requiredId(part, "id"))
        .put("mime_type", part.getString("mime_type"))
        .put("sha256", part.getString("sha256"));
    String caption = part.getString("caption");
    if (caption != null) {
      content.put("caption", caption);
    }
    if (part.containsKey("filename")) {
      content.put("filename", part.getString("filename"));
    }
    if (part.containsKey("animated")) {
      content.put("animated", part.getBoolean("animated"));
    }
    String canonical = type.equals("audio") && Boolean.TRUE.equals(part.getBoolean("voice")) ? "voice" : type;
    String body = caption != null ? caption : part.getString("filename");
    return new Typed(canonical, body, content);
  }

  private Typed interactive(JsonObject part, JsonObject message, JsonArray valueErrors) {
    String kind = part.getString("type");
    JsonObject reply = kind == null ? null : part.getValue(kind) instanceof JsonObject o ? o : null;
    if (reply == null) {
      return unsupported("interactive", message, valueErrors);
    }
    var content = new JsonObject().put("kind", kind);
    reply.forEach(field -> content.put(field.getKey(), field.getValue()));
    String body = reply.getString("title", reply.getString("body"));
    return new Typed("interactive", body, content);
  }

  private static Typed unsupported(String kind, JsonObject message, JsonArray valueErrors) {
    var content = new JsonObject();
    JsonObject detail = message.getJsonObject("unsupported");
    content.put("kind", detail != null && detail.getString("type") != null ? detail.getString("type") : kind);
    JsonArray errors = message.getJsonArray("errors", valueErrors);
    if (errors != null) {
      content.put("errors", errors.copy());
    }
    return new Typed("unsupported", null, content);
  }

  private static String locationSummary(JsonObject location) {
    String name = location.getString("name");
    String address = location.getString("address");
    if (name != null || address != null) {
      return name != null && address != null ? name + ", " + address : name != null ? name : address;
    }
    return location.getValue("latitude") + ", " + location.getValue("longitude");
  }

  /** Forwarding flags, ad referrals and catalog questions travel on any message type. */
  private static void decorate(JsonObject content, JsonObject message) {
    JsonObject context = message.getJsonObject("context");
    if (context != null) {
      if (Boolean.TRUE.equals(context.getBoolean("forwarded"))) {
        content.put("forwarded", true);
      }
      if (Boolean.TRUE.equals(context.getBoolean("frequently_forwarded"))) {
        content.put("frequently_forwarded", true);
      }
      if (context.getJsonObject("referred_product") != null) {
        content.put("referred_product", context.getJsonObject("referred_product").copy());
      }
    }
    if (message.getJsonObject("referral") != null) {
      content.put("referral", message.getJsonObject("referral").copy());
    }
  }

  private static InboundEvent.Sender sender(JsonObject message, JsonObject profile) {
    String phone = id(message, "from");
    String userId = id(message, "from_user_id");
    String name = null;
    String username = null;
    if (profile != null) {
      phone = phone != null ? phone : id(profile, "wa_id");
      userId = userId != null ? userId : id(profile, "user_id");
      JsonObject details = profile.getJsonObject("profile");
      if (details != null) {
        name = WhatsAppParser.name(details.getString("name"));
        username = WhatsAppParser.name(details.getString("username"));
      }
    }
    String externalId = phone != null ? phone : userId;
    if (externalId == null) {
      throw new MalformedPayload("message " + message.getValue("id") + " names no sender (from, wa_id or user_id)");
    }
    return new InboundEvent.Sender(externalId, phone, userId, name, username);
  }

  private InboundEvent system(JsonObject message, String id, Instant timestamp) {
    JsonObject system = object(message, "system");
    String kind = system.getString("type", "");
    String body = system.getString("body");
    String from = id(message, "from");
    return switch (kind) {
      case "user_changed_number", "customer_changed_number" -> {
        String newPhone = id(system, "new_wa_id") != null ? id(system, "new_wa_id") : id(system, "wa_id");
        if (from == null || newPhone == null) {
          throw new MalformedPayload("system " + kind + " needs from and new_wa_id");
        }
        yield new InboundEvent.IdentityChange(
            routingKey, id, timestamp, "number_changed", from, newPhone, null, body, message);
      }
      case "user_changed_user_id" -> new InboundEvent.IdentityChange(routingKey, id, timestamp, "user_id_changed",
          id(system, "previous_user_id"), null, requiredId(system, "user_id"), body, message);
      default -> new InboundEvent.IdentityChange(
          routingKey, id, timestamp, "identity_changed", from, null, null, body, message);
    };
  }
}

package dev.parley.dispatch;

import dev.parley.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/**
 * A message to send, checked against WhatsApp's per-type rules before anything is stored. The API's message
 * object mirrors the Cloud API's ({@code {"type":"text","text":{"body":…}}}, …); {@link #parse} refuses what the
 * provider would refuse, each with a stable code (422 unless said otherwise), so no doomed message is queued.
 *
 * @param type the stored type ({@code voice} is sent as {@code audio})
 * @param body the searchable text: the text, caption, or a short summary
 * @param content what the thread shows and what is sent (the type's object, normalised)
 * @param mediaId a Parley media file id to upload to the provider when sending, or null
 * @param replyTo the Parley id of a quoted message, or null
 * @param reactionTarget for a reaction, the Parley id of the message reacted to
 */
public record OutboundDraft(String type, String body, JsonObject content, UUID mediaId, UUID replyTo,
    UUID reactionTarget) {
  public static final int TEXT_MAX = 4096;
  public static final int CAPTION_MAX = 1024;
  static final Set<String> MEDIA = Set.of("image", "video", "audio", "voice", "document", "sticker");
  private static final Set<String> CAPTIONED = Set.of("image", "video", "document");
  private static final Set<String> TYPES = Set.of(
      "text", "image", "video", "audio", "voice", "document", "sticker", "location", "contacts", "interactive",
      "template", "reaction");

  /** The provider's name for this type ({@code voice} travels as {@code audio}). */
  public String providerType() {
    return "voice".equals(type) ? "audio" : type;
  }

  /** Checks a request's message object; fails with {@link ApiException} naming the first problem. */
  public static OutboundDraft parse(JsonObject request) {
    if (request == null) {
      throw ApiException.invalid("the body must be a message object");
    }
    Object rawType = request.getValue("type");
    if (!(rawType instanceof String type) || type.isBlank()) {
      throw ApiException.invalid("type is required");
    }
    if (!TYPES.contains(type)) {
      throw new ApiException(422, "message_type_unsupported", "messages of type '" + type + "' cannot be sent");
    }
    UUID replyTo = request.getValue("reply_to") == null ? null : id(request.getValue("reply_to"), "reply_to");
    JsonObject part = "contacts".equals(type) ? null : object(request, type);
    return switch (type) {
      case "text" -> text(part, replyTo);
      case "location" -> location(part, replyTo);
      case "contacts" -> contacts(request, replyTo);
      case "interactive" -> interactive(part, replyTo);
      case "template" -> new OutboundDraft(type, part.getString("name"), new JsonObject().put("template", part.copy()),
          null, replyTo, null);
      case "reaction" -> reaction(part);
      default -> media(type, part, replyTo);
    };
  }

  private static OutboundDraft text(JsonObject part, UUID replyTo) {
    String body = string(part, "body", "text.body");
    if (body == null || body.isBlank()) {
      throw new ApiException(422, "empty_message", "text.body must not be empty");
    }
    if (body.length() > TEXT_MAX) {
      throw new ApiException(422, "text_too_long",
          "text.body has " + body.length() + " characters; WhatsApp allows " + TEXT_MAX);
    }
    var text = new JsonObject().put("body", body);
    if (part.getValue("preview_url") != null) {
      text.put("preview_url", bool(part, "preview_url"));
    }
    return new OutboundDraft("text", body, new JsonObject().put("text", text), null, replyTo, null);
  }

  private static OutboundDraft media(String type, JsonObject part, UUID replyTo) {
    int sources = (part.getValue("media_id") != null ? 1 : 0) + (part.getValue("id") != null ? 1 : 0)
        + (part.getValue("link") != null ? 1 : 0);
    if (sources == 0) {
      throw new ApiException(422, "media_missing",
          type + " needs a file: media_id (uploaded to Parley), id (a provider media id) or link");
    }
    if (sources > 1) {
      throw new ApiException(422, "one_file_per_message", "a message carries one file: give only one of media_id, id, link");
    }
    var media = new JsonObject();
    UUID mediaId = null;
    if (part.getValue("media_id") != null) {
      mediaId = id(part.getValue("media_id"), type + ".media_id");
      media.put("media_id", mediaId.toString());
    } else if (part.getValue("id") != null) {
      media.put("id", requiredText(part, "id", type + ".id", 256));
    } else {
      media.put("link", link(part, "link", type + ".link"));
    }
    String caption = string(part, "caption", type + ".caption");
    if (caption != null) {
      if (!CAPTIONED.contains(type)) {
        throw new ApiException(422, "caption_not_allowed", "captions go on images, videos and documents only, not on " + type);
      }
      if (caption.length() > CAPTION_MAX) {
        throw new ApiException(422, "caption_too_long",
            "the caption has " + caption.length() + " characters; WhatsApp allows " + CAPTION_MAX);
      }
      media.put("caption", caption);
    }
    String filename = string(part, "filename", type + ".filename");
    if (filename != null) {
      if (!"document".equals(type)) {
        throw ApiException.invalid("filename applies to documents only");
      }
      media.put("filename", requiredText(part, "filename", "document.filename", 240));
    }
    String body = caption != null ? caption : filename;
    return new OutboundDraft(type, body, new JsonObject().put(type, media), mediaId, replyTo, null);
  }

  private static OutboundDraft location(JsonObject part, UUID replyTo) {
    double latitude = number(part, "latitude", -90, 90);
    double longitude = number(part, "longitude", -180, 180);
    var location = new JsonObject().put("latitude", latitude).put("longitude", longitude);
    String name = string(part, "name", "location.name");
    String address = string(part, "address", "location.address");
    if (name != null) {
      location.put("name", limited(name, "location.name", 1000));
    }
    if (address != null) {
      location.put("address", limited(address, "location.address", 1000));
    }
    String body = name != null ? name : address != null ? address : latitude + ", " + longitude;
    return new OutboundDraft("location", body, new JsonObject().put("location", location), null, replyTo, null);
  }

  private static OutboundDraft contacts(JsonObject request, UUID replyTo) {
    Object value = request.getValue("contacts");
    if (!(value instanceof JsonArray cards) || cards.isEmpty()) {
      throw new ApiException(422, "invalid_contacts", "contacts must be a non-empty array of contact cards");
    }
    if (cards.size() > 257) {
      throw new ApiException(422, "invalid_contacts", "at most 257 contact cards per message");
    }
    var names = new StringBuilder();
    for (int i = 0; i < cards.size(); i++) {
      if (!(cards.getValue(i) instanceof JsonObject card)
          || !(card.getValue("name") instanceof JsonObject name)
          || !(name.getValue("formatted_name") instanceof String formatted) || formatted.isBlank()) {
        throw new ApiException(422, "invalid_contacts", "contacts[" + i + "].name.formatted_name is required");
      }
      names.append(i == 0 ? "" : ", ").append(formatted);
    }
    return new OutboundDraft("contacts", names.toString(), new JsonObject().put("contacts", cards.copy()), null,
        replyTo, null);
  }

  private static OutboundDraft interactive(JsonObject part, UUID replyTo) {
    String kind = requiredText(part, "type", "interactive.type", 20);
    JsonObject body = object(part, "body", "interactive.body");
    String text = requiredText(body, "text", "interactive.body.text", 1024);
    if (part.getValue("footer") != null) {
      limited(requiredText(object(part, "footer", "interactive.footer"), "text", "interactive.footer.text", 60),
          "interactive.footer.text", 60);
    }
    if (part.getValue("header") != null) {
      JsonObject header = object(part, "header", "interactive.header");
      if ("text".equals(header.getString("type"))) {
        requiredText(header, "text", "interactive.header.text", 60);
      }
    }
    JsonObject action = object(part, "action", "interactive.action");
    switch (kind) {
      case "button" -> buttons(action);
      case "list" -> list(action);
      case "cta_url" -> ctaUrl(action);
      default -> throw new ApiException(422, "interactive_invalid",
          "interactive.type must be button, list or cta_url, not '" + kind + "'");
    }
    return new OutboundDraft("interactive", text, new JsonObject().put("interactive", part.copy()), null, replyTo, null);
  }

  private static void buttons(JsonObject action) {
    Object value = action.getValue("buttons");
    if (!(value instanceof JsonArray buttons) || buttons.isEmpty()) {
      throw interactiveLimit("interactive.action.buttons needs 1 to 3 reply buttons");
    }
    if (buttons.size() > 3) {
      throw interactiveLimit("at most 3 reply buttons, got " + buttons.size());
    }
    Set<String> titles = new HashSet<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < buttons.size(); i++) {
      String where = "interactive.action.buttons[" + i + "]";
      if (!(buttons.getValue(i) instanceof JsonObject button) || !"reply".equals(button.getString("type"))) {
        throw interactiveLimit(where + " must be {\"type\":\"reply\",\"reply\":{\"id\",\"title\"}}");
      }
      JsonObject reply = object(button, "reply", where + ".reply");
      String title = limitedInteractive(reply, "title", where + ".reply.title", 20);
      String id = limitedInteractive(reply, "id", where + ".reply.id", 256);
      if (!id.equals(id.strip())) {
        throw interactiveLimit(where + ".reply.id must not start or end with spaces");
      }
      if (!titles.add(title.toLowerCase(Locale.ROOT)) || !ids.add(id)) {
        throw interactiveLimit("button titles and ids must be unique");
      }
    }
  }

  private static void list(JsonObject action) {
    limitedInteractive(action, "button", "interactive.action.button", 20);
    Object value = action.getValue("sections");
    if (!(value instanceof JsonArray sections) || sections.isEmpty()) {
      throw interactiveLimit("interactive.action.sections needs at least one section");
    }
    if (sections.size() > 10) {
      throw interactiveLimit("at most 10 sections, got " + sections.size());
    }
    int rows = 0;
    Set<String> ids = new HashSet<>();
    for (int s = 0; s < sections.size(); s++) {
      String where = "interactive.action.sections[" + s + "]";
      if (!(sections.getValue(s) instanceof JsonObject section)) {
        throw interactiveLimit(where + " must be an object");
      }
      if (sections.size() > 1 || section.getValue("title") != null) {
        limitedInteractive(section, "title", where + ".title", 24);
      }
      if (!(section.getValue("rows") instanceof JsonArray sectionRows) || sectionRows.isEmpty()) {
        throw interactiveLimit(where + ".rows needs at least one row");
      }
      for (int r = 0; r < sectionRows.size(); r++) {
        String rowWhere = where + ".rows[" + r + "]";
        if (!(sectionRows.getValue(r) instanceof JsonObject row)) {
          throw interactiveLimit(rowWhere + " must be an object");
        }
        if (!ids.add(limitedInteractive(row, "id", rowWhere + ".id", 200))) {
          throw interactiveLimit("row ids must be unique");
        }
        limitedInteractive(row, "title", rowWhere + ".title", 24);
        if (row.getValue("description") != null) {
          limitedInteractive(row, "description", rowWhere + ".description", 72);
        }
        rows++;
      }
    }
    if (rows > 10) {
      throw interactiveLimit("a list has at most 10 rows in all sections together, got " + rows);
    }
  }

  private static void ctaUrl(JsonObject action) {
    JsonObject parameters = object(action, "parameters", "interactive.action.parameters");
    limitedInteractive(parameters, "display_text", "interactive.action.parameters.display_text", 20);
    link(parameters, "url", "interactive.action.parameters.url");
  }

  private static OutboundDraft reaction(JsonObject part) {
    UUID target = id(part.getValue("message_id"), "reaction.message_id");
    Object emoji = part.getValue("emoji");
    if (!(emoji instanceof String value)) {
      throw ApiException.invalid("reaction.emoji is required");
    }
    if (value.isEmpty()) {
      throw new ApiException(422, "reaction_removal_not_allowed",
          "the business can change its reaction but not remove it");
    }
    if (value.codePointCount(0, value.length()) > 10 || value.isBlank()) {
      throw new ApiException(422, "reaction_invalid", "reaction.emoji must be one emoji");
    }
    return new OutboundDraft("reaction", value,
        new JsonObject().put("reaction", new JsonObject().put("message_id", target.toString()).put("emoji", value)),
        null, null, target);
  }

  private static ApiException interactiveLimit(String message) {
    return new ApiException(422, "interactive_invalid", message);
  }

  private static String limitedInteractive(JsonObject part, String field, String where, int max) {
    String value = string(part, field, where);
    if (value == null || value.isBlank()) {
      throw interactiveLimit(where + " is required");
    }
    if (value.length() > max) {
      throw interactiveLimit(where + " has " + value.length() + " characters; at most " + max);
    }
    return value;
  }

  private static JsonObject object(JsonObject parent, String field) {
    return object(parent, field, field);
  }

  private static JsonObject object(JsonObject parent, String field, String where) {
    Object value = parent.getValue(field);
    if (!(value instanceof JsonObject object)) {
      throw ApiException.invalid(where + " must be an object");
    }
    return object;
  }

  private static String string(JsonObject part, String field, String where) {
    Object value = part.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw ApiException.invalid(where + " must be a string");
    }
    return text;
  }

  private static String requiredText(JsonObject part, String field, String where, int max) {
    String value = string(part, field, where);
    if (value == null || value.isBlank()) {
      throw ApiException.invalid(where + " is required");
    }
    return limited(value, where, max);
  }

  private static String limited(String value, String where, int max) {
    if (value.length() > max) {
      throw ApiException.invalid(where + " has " + value.length() + " characters; at most " + max);
    }
    return value;
  }

  private static boolean bool(JsonObject part, String field) {
    if (!(part.getValue(field) instanceof Boolean value)) {
      throw ApiException.invalid(field + " must be true or false");
    }
    return value;
  }

  private static double number(JsonObject part, String field, double min, double max) {
    if (!(part.getValue(field) instanceof Number value) || value.doubleValue() < min || value.doubleValue() > max) {
      throw new ApiException(422, "invalid_location", "location." + field + " must be a number from " + min + " to " + max);
    }
    return value.doubleValue();
  }

  private static String link(JsonObject part, String field, String where) {
    String value = requiredText(part, field, where, 2000);
    try {
      URI uri = URI.create(value);
      if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
        throw ApiException.invalid(where + " must be an http(s) URL");
      }
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(where + " is not a valid URL");
    }
    return value;
  }

  private static UUID id(Object value, String where) {
    try {
      return UUID.fromString(String.valueOf(value));
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(where + " must be a message id");
    }
  }
}

package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Validates a Messages API body as Meta does, answering the error Meta would: 131008 for a missing parameter,
 * 100 or 131009 for an invalid one, 132001 for a template that is not approved in that language, 132000 for
 * parameters that do not fit it. Limits are those of provider-formats §2.4.
 */
final class MessageValidator {
  private static final Set<String> TYPES = Set.of("text", "image", "video", "audio", "document", "sticker",
      "interactive", "reaction", "location", "contacts", "template");
  private static final Set<String> CAPTIONED = Set.of("image", "video", "document");

  /** A valid send: its type, the recipient's wa_id and, for templates, the template sent. */
  record Checked(GraphError error, String type, String waId, JsonObject template) {
    static Checked refused(GraphError error) {
      return new Checked(error, null, null, null);
    }
  }

  private final MediaStore media;
  private final TemplateCatalog templates;

  MessageValidator(MediaStore media, TemplateCatalog templates) {
    this.media = media;
    this.templates = templates;
  }

  Checked check(JsonObject body, String wabaId) {
    GraphError envelope = envelope(body);
    if (envelope != null) {
      return Checked.refused(envelope);
    }
    String type = body.getString("type", "text");
    String waId = waId(body.getString("to"));
    if (type.equals("contacts")) {
      GraphError error = body.getValue(type) instanceof JsonArray contacts ? contacts(contacts) : missing("contacts");
      return error != null ? Checked.refused(error) : new Checked(null, type, waId, null);
    }
    if (!(body.getValue(type) instanceof JsonObject content)) {
      return Checked.refused(missing(type));
    }
    GraphError error = switch (type) {
      case "text" -> text(content);
      case "image", "video", "audio", "document", "sticker" -> media(type, content);
      case "interactive" -> interactive(content);
      case "reaction" -> reaction(content);
      case "location" -> location(content);
      case "template" -> null;
      default -> invalid(100, "Param type is not valid");
    };
    if (error != null) {
      return Checked.refused(error);
    }
    if (type.equals("template")) {
      return template(content, wabaId, waId);
    }
    return new Checked(null, type, waId, null);
  }

  /** The mark-as-read body: {@code messaging_product}, {@code status: read} and a {@code wamid.}-shaped id. */
  static GraphError checkMarkRead(JsonObject body) {
    if (!body.containsKey("messaging_product")) {
      return missing("messaging_product");
    }
    if (!"whatsapp".equals(body.getValue("messaging_product"))) {
      return invalid(100, "Param messaging_product must be 'whatsapp'");
    }
    if (!(body.getValue("message_id") instanceof String id) || id.isBlank()) {
      return missing("message_id");
    }
    if (!wamidShaped(id)) {
      return invalid(131009, "Param message_id is not a valid WhatsApp message id");
    }
    return null;
  }

  /** A recipient's wa_id: the digits of {@code to}. */
  static String waId(String to) {
    return to == null ? null : to.replaceAll("[^0-9]", "");
  }

  static boolean wamidShaped(String id) {
    return id != null && id.startsWith("wamid.") && id.length() > "wamid.".length();
  }

  private static GraphError envelope(JsonObject body) {
    if (!body.containsKey("messaging_product")) {
      return missing("messaging_product");
    }
    if (!"whatsapp".equals(body.getValue("messaging_product"))) {
      return invalid(100, "Param messaging_product must be 'whatsapp'");
    }
    Object recipientType = body.getValue("recipient_type");
    if (recipientType != null && !"individual".equals(recipientType)) {
      return invalid(100, "Param recipient_type must be 'individual'");
    }
    if (!(body.getValue("to") instanceof String to) || to.isBlank()) {
      return missing("to");
    }
    String digits = waId(to);
    if (digits.length() < 5 || digits.length() > 15 || !to.matches("[+0-9 ()\\-.]+")) {
      return invalid(100, "Param to is not a valid phone number");
    }
    Object type = body.getValue("type", "text");
    if (!(type instanceof String name) || !TYPES.contains(name)) {
      return invalid(100, "Param type must be one of {" + String.join(", ", TYPES.stream().sorted().toList()) + "}");
    }
    Object context = body.getValue("context");
    if (context != null) {
      if (!(context instanceof JsonObject quoted) || !(quoted.getValue("message_id") instanceof String id)) {
        return missing("context['message_id']");
      }
      if (!wamidShaped(id)) {
        return invalid(131009, "Param context['message_id'] is not a valid WhatsApp message id");
      }
    }
    Object opaque = body.getValue("biz_opaque_callback_data");
    if (opaque != null && (!(opaque instanceof String data) || data.length() > 512)) {
      return invalid(100, "Param biz_opaque_callback_data must be a string of at most 512 characters");
    }
    return null;
  }

  private static GraphError text(JsonObject text) {
    if (!(text.getValue("body") instanceof String body) || body.isEmpty()) {
      return missing("text['body']");
    }
    if (body.length() > 4096) {
      return invalid(100, "Param text['body'] must be at most 4096 characters long.");
    }
    Object preview = text.getValue("preview_url");
    if (preview != null && !(preview instanceof Boolean)) {
      return invalid(100, "Param text['preview_url'] must be a boolean");
    }
    return null;
  }

  private GraphError media(String type, JsonObject object) {
    boolean hasId = object.containsKey("id");
    boolean hasLink = object.containsKey("link");
    if (hasId == hasLink) {
      return invalid(100, "Param " + type + " must have exactly one of id or link");
    }
    if (hasId) {
      if (!(object.getValue("id") instanceof String id) || media.get(id) == null) {
        return invalid(131009, "Param " + type + "['id'] is not a valid media id (upload the file first)");
      }
    } else if (!(object.getValue("link") instanceof String link) || !(link.startsWith("https://") || link.startsWith("http://"))) {
      return invalid(131009, "Param " + type + "['link'] must be an http(s) URL");
    }
    Object caption = object.getValue("caption");
    if (caption != null) {
      if (!CAPTIONED.contains(type)) {
        return invalid(100, "Param " + type + "['caption'] is not allowed for " + type + " messages");
      }
      if (!(caption instanceof String text) || text.length() > 1024) {
        return invalid(100, "Param " + type + "['caption'] must be at most 1024 characters long.");
      }
    }
    return null;
  }

  private static GraphError interactive(JsonObject interactive) {
    if (!(interactive.getValue("type") instanceof String kind)) {
      return missing("interactive['type']");
    }
    if (!Set.of("button", "list", "cta_url").contains(kind)) {
      return invalid(131009, "Param interactive['type'] must be one of {button, list, cta_url}");
    }
    GraphError frame = frame(interactive, kind);
    if (frame != null) {
      return frame;
    }
    if (!(interactive.getValue("action") instanceof JsonObject action)) {
      return missing("interactive['action']");
    }
    return switch (kind) {
      case "button" -> buttons(action);
      case "list" -> list(action);
      default -> ctaUrl(action);
    };
  }

  /** Body (required), footer and header of an interactive message. */
  private static GraphError frame(JsonObject interactive, String kind) {
    if (!(interactive.getValue("body") instanceof JsonObject body) || !(body.getValue("text") instanceof String text)
        || text.isEmpty()) {
      return missing("interactive['body']['text']");
    }
    int bodyLimit = kind.equals("list") ? 4096 : 1024;
    if (text.length() > bodyLimit) {
      return invalid(131009, "Param interactive['body']['text'] must be at most " + bodyLimit + " characters long.");
    }
    if (interactive.getValue("footer") instanceof JsonObject footer
        && footer.getValue("text") instanceof String footerText && footerText.length() > 60) {
      return invalid(131009, "Param interactive['footer']['text'] must be at most 60 characters long.");
    }
    if (interactive.getValue("header") instanceof JsonObject header) {
      String headerType = header.getString("type", "");
      Set<String> allowed = kind.equals("list") ? Set.of("text") : Set.of("text", "image", "video", "document");
      if (!allowed.contains(headerType)) {
        return invalid(131009, "Param interactive['header']['type'] must be one of " + allowed);
      }
      if (headerType.equals("text") && (!(header.getValue("text") instanceof String headerText)
          || headerText.isEmpty() || headerText.length() > 60)) {
        return invalid(131009, "Param interactive['header']['text'] must be 1 to 60 characters long.");
      }
    }
    return null;
  }

  private static GraphError buttons(JsonObject action) {
    if (!(action.getValue("buttons") instanceof JsonArray buttons) || buttons.isEmpty()) {
      return missing("interactive['action']['buttons']");
    }
    if (buttons.size() > 3) {
      return invalid(131009, "Param interactive['action']['buttons'] must have at most 3 buttons");
    }
    Set<String> ids = new HashSet<>();
    Set<String> titles = new HashSet<>();
    for (Object item : buttons) {
      if (!(item instanceof JsonObject button) || !"reply".equals(button.getValue("type"))
          || !(button.getValue("reply") instanceof JsonObject reply)) {
        return invalid(131009, "Param interactive['action']['buttons'][] must be {type: reply, reply: {id, title}}");
      }
      if (!(reply.getValue("id") instanceof String id) || id.isEmpty() || id.length() > 256 || !id.equals(id.strip())) {
        return invalid(131009, "Param interactive['action']['buttons'][]['reply']['id'] must be 1 to 256 characters without surrounding spaces");
      }
      if (!(reply.getValue("title") instanceof String title) || title.isBlank() || title.length() > 20) {
        return invalid(131009, "Param interactive['action']['buttons'][]['reply']['title'] must be 1 to 20 characters long");
      }
      if (!ids.add(id) || !titles.add(title)) {
        return invalid(131009, "Buttons must have unique ids and titles");
      }
    }
    return null;
  }

  private static GraphError list(JsonObject action) {
    if (!(action.getValue("button") instanceof String button) || button.isBlank()) {
      return missing("interactive['action']['button']");
    }
    if (button.length() > 20) {
      return invalid(131009, "Param interactive['action']['button'] must be at most 20 characters long.");
    }
    if (!(action.getValue("sections") instanceof JsonArray sections) || sections.isEmpty()) {
      return missing("interactive['action']['sections']");
    }
    if (sections.size() > 10) {
      return invalid(131009, "Param interactive['action']['sections'] must have at most 10 sections");
    }
    int rows = 0;
    Set<String> ids = new HashSet<>();
    for (Object item : sections) {
      if (!(item instanceof JsonObject section) || !(section.getValue("rows") instanceof JsonArray sectionRows)
          || sectionRows.isEmpty()) {
        return missing("interactive['action']['sections'][]['rows']");
      }
      Object title = section.getValue("title");
      if (sections.size() > 1 && !(title instanceof String)) {
        return missing("interactive['action']['sections'][]['title']");
      }
      if (title instanceof String text && text.length() > 24) {
        return invalid(131009, "Param interactive['action']['sections'][]['title'] must be at most 24 characters long.");
      }
      for (Object rowItem : sectionRows) {
        rows++;
        if (!(rowItem instanceof JsonObject row) || !(row.getValue("id") instanceof String id) || id.isEmpty()
            || id.length() > 200 || !(row.getValue("title") instanceof String rowTitle) || rowTitle.isBlank()
            || rowTitle.length() > 24) {
          return invalid(131009, "Each row needs an id (1 to 200 characters) and a title (1 to 24 characters)");
        }
        if (row.getValue("description") instanceof String description && description.length() > 72) {
          return invalid(131009, "Param ['rows'][]['description'] must be at most 72 characters long.");
        }
        if (!ids.add(id)) {
          return invalid(131009, "Row ids must be unique");
        }
      }
    }
    if (rows > 10) {
      return invalid(131009, "A list message can have at most 10 rows in all sections");
    }
    return null;
  }

  private static GraphError ctaUrl(JsonObject action) {
    if (!"cta_url".equals(action.getValue("name"))) {
      return invalid(131009, "Param interactive['action']['name'] must be 'cta_url'");
    }
    if (!(action.getValue("parameters") instanceof JsonObject parameters)) {
      return missing("interactive['action']['parameters']");
    }
    if (!(parameters.getValue("display_text") instanceof String text) || text.isBlank() || text.length() > 20) {
      return invalid(131009, "Param interactive['action']['parameters']['display_text'] must be 1 to 20 characters long.");
    }
    if (!(parameters.getValue("url") instanceof String url) || !(url.startsWith("https://") || url.startsWith("http://"))) {
      return invalid(131009, "Param interactive['action']['parameters']['url'] must be an http(s) URL");
    }
    return null;
  }

  private static GraphError reaction(JsonObject reaction) {
    if (!(reaction.getValue("message_id") instanceof String id)) {
      return missing("reaction['message_id']");
    }
    if (!wamidShaped(id)) {
      return invalid(131009, "Param reaction['message_id'] is not a valid WhatsApp message id");
    }
    if (!(reaction.getValue("emoji") instanceof String emoji)) {
      return missing("reaction['emoji']");
    }
    if (emoji.codePointCount(0, emoji.length()) > 8) {
      return invalid(131009, "Param reaction['emoji'] must be a single emoji");
    }
    return null;
  }

  private static GraphError location(JsonObject location) {
    if (!(location.getValue("latitude") instanceof Number latitude)) {
      return missing("location['latitude']");
    }
    if (!(location.getValue("longitude") instanceof Number longitude)) {
      return missing("location['longitude']");
    }
    if (Math.abs(latitude.doubleValue()) > 90 || Math.abs(longitude.doubleValue()) > 180) {
      return invalid(131009, "Param location['latitude'] or ['longitude'] is out of range");
    }
    return null;
  }

  private static GraphError contacts(JsonArray contacts) {
    if (contacts.isEmpty()) {
      return missing("contacts");
    }
    for (Object item : contacts) {
      if (!(item instanceof JsonObject contact) || !(contact.getValue("name") instanceof JsonObject name)
          || !(name.getValue("formatted_name") instanceof String formatted) || formatted.isBlank()) {
        return missing("contacts[]['name']['formatted_name']");
      }
    }
    return null;
  }

  private Checked template(JsonObject template, String wabaId, String waId) {
    if (!(template.getValue("name") instanceof String name) || name.isBlank()) {
      return Checked.refused(missing("template['name']"));
    }
    if (!(template.getValue("language") instanceof JsonObject language)
        || !(language.getValue("code") instanceof String code) || code.isBlank()) {
      return Checked.refused(missing("template['language']['code']"));
    }
    JsonObject approved = templates.find(wabaId, name, code);
    String status = approved == null ? null : approved.getString("status", "").toUpperCase(Locale.ROOT);
    if (approved == null || !Set.of("APPROVED", "PAUSED", "DISABLED").contains(status)) {
      return Checked.refused(GraphError.of(132001, "template name (" + name + ") does not exist in " + code));
    }
    if (status.equals("PAUSED")) {
      return Checked.refused(GraphError.of(132015, null));
    }
    if (status.equals("DISABLED")) {
      return Checked.refused(GraphError.of(132016, null));
    }
    Object components = template.getValue("components");
    if (components != null && !(components instanceof JsonArray)) {
      return Checked.refused(invalid(100, "Param template['components'] must be an array"));
    }
    GraphError parameters = TemplateParameters.check(approved, (JsonArray) components);
    return parameters != null ? Checked.refused(parameters) : new Checked(null, "template", waId, approved);
  }

  private static GraphError missing(String parameter) {
    return GraphError.of(131008, "The parameter " + parameter + " is required.");
  }

  private static GraphError invalid(int code, String details) {
    return GraphError.of(code, details);
  }
}

package dev.parley.template;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A template as the provider defines it ({@code HEADER}, {@code BODY}, {@code FOOTER}, {@code BUTTONS} components),
 * read for what a send has to fill in: the placeholders of the header and body text ({@code {{1}}} or, for
 * templates with named parameters, {@code {{first_name}}}), the media a header needs, and the buttons that take a
 * parameter. Component kinds Parley does not know (carousels, limited-time offers) are listed in
 * {@link #unsupported()}.
 */
final class TemplateDefinition {
  static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_]+)\\s*}}");
  static final Set<String> MEDIA_FORMATS = Set.of("IMAGE", "VIDEO", "DOCUMENT");

  /** What a button's parameter must be, if it takes one. */
  enum ButtonParameter {
    /** no parameter: sending one is an error */
    NONE(null, null),
    /** a URL button with a dynamic suffix, or a one-time-password button: one text parameter (required) */
    TEXT("url", "text"),
    /** a quick reply: an optional payload parameter */
    PAYLOAD("quick_reply", "payload"),
    /** a copy-code button: one coupon_code parameter (required) */
    COUPON_CODE("copy_code", "coupon_code"),
    /** flow and catalog buttons: an optional action parameter */
    ACTION("flow", "action"),
    CATALOG_ACTION("catalog", "action"),
    /** a multi-product button: one action parameter (required) */
    MPM_ACTION("mpm", "action");

    final String subType;
    final String type;

    ButtonParameter(String subType, String type) {
      this.subType = subType;
      this.type = type;
    }

    boolean required() {
      return this == TEXT || this == COUPON_CODE || this == MPM_ACTION;
    }
  }

  /** @param format TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION; {@code text} only for TEXT */
  record Header(String format, String text, List<String> placeholders) {}

  record Button(int index, String type, String text, String url, String phoneNumber, ButtonParameter parameter) {}

  private final boolean named;
  private final Header header;
  private final String body;
  private final List<String> bodyPlaceholders;
  private final String footer;
  private final List<Button> buttons;
  private final List<String> unsupported;

  private TemplateDefinition(boolean named, Header header, String body, List<String> bodyPlaceholders, String footer,
      List<Button> buttons, List<String> unsupported) {
    this.named = named;
    this.header = header;
    this.body = body;
    this.bodyPlaceholders = bodyPlaceholders;
    this.footer = footer;
    this.buttons = buttons;
    this.unsupported = unsupported;
  }

  /** Reads the provider's components; {@code parameterFormat} is {@code NAMED} or {@code POSITIONAL}. */
  static TemplateDefinition of(JsonArray components, String parameterFormat) {
    boolean named = "NAMED".equals(parameterFormat);
    Header header = null;
    String body = null;
    List<String> bodyPlaceholders = List.of();
    String footer = null;
    List<Button> buttons = new ArrayList<>();
    List<String> unsupported = new ArrayList<>();
    for (Object item : components) {
      if (!(item instanceof JsonObject component)) {
        continue;
      }
      String type = upper(component.getValue("type"));
      switch (type) {
        case "HEADER" -> {
          String format = upper(component.getValue("format"));
          format = format.isEmpty() ? "TEXT" : format;
          String text = "TEXT".equals(format) ? string(component, "text") : null;
          header = new Header(format, text, placeholders(text, named));
          if (!"TEXT".equals(format) && !"LOCATION".equals(format) && !MEDIA_FORMATS.contains(format)) {
            unsupported.add(format + " header");
          }
        }
        case "BODY" -> {
          body = string(component, "text");
          bodyPlaceholders = placeholders(body, named);
        }
        case "FOOTER" -> footer = string(component, "text");
        case "BUTTONS" -> {
          JsonArray list = component.getValue("buttons") instanceof JsonArray array ? array : new JsonArray();
          for (Object entry : list) {
            if (entry instanceof JsonObject button) {
              buttons.add(button(buttons.size(), button));
            }
          }
        }
        default -> unsupported.add(type.isEmpty() ? "untyped component" : type + " component");
      }
    }
    return new TemplateDefinition(named, header, body, bodyPlaceholders, footer, List.copyOf(buttons),
        List.copyOf(unsupported));
  }

  /** {@code NAMED} when any header or body placeholder is not a number, else {@code POSITIONAL}. */
  static String inferParameterFormat(JsonArray components) {
    for (Object item : components) {
      if (item instanceof JsonObject component && component.getValue("text") instanceof String text
          && Set.of("HEADER", "BODY").contains(upper(component.getValue("type")))) {
        Matcher matcher = PLACEHOLDER.matcher(text);
        while (matcher.find()) {
          if (!matcher.group(1).chars().allMatch(Character::isDigit)) {
            return "NAMED";
          }
        }
      }
    }
    return "POSITIONAL";
  }

  private static Button button(int index, JsonObject button) {
    String type = upper(button.getValue("type"));
    String url = string(button, "url");
    ButtonParameter parameter = switch (type) {
      case "URL" -> url != null && PLACEHOLDER.matcher(url).find() ? ButtonParameter.TEXT : ButtonParameter.NONE;
      case "OTP" -> ButtonParameter.TEXT;
      case "QUICK_REPLY" -> ButtonParameter.PAYLOAD;
      case "COPY_CODE" -> ButtonParameter.COUPON_CODE;
      case "FLOW" -> ButtonParameter.ACTION;
      case "CATALOG" -> ButtonParameter.CATALOG_ACTION;
      case "MPM" -> ButtonParameter.MPM_ACTION;
      default -> ButtonParameter.NONE; // PHONE_NUMBER, VOICE_CALL, ...
    };
    return new Button(index, type, string(button, "text"), url, string(button, "phone_number"), parameter);
  }

  /**
   * The names a text's placeholders are filled by, in the order parameters are given: {@code 1..n} (the highest
   * number used) for positional templates, each distinct name in order of appearance for named ones.
   */
  static List<String> placeholders(String text, boolean named) {
    if (text == null) {
      return List.of();
    }
    Set<String> names = new LinkedHashSet<>();
    int highest = 0;
    Matcher matcher = PLACEHOLDER.matcher(text);
    while (matcher.find()) {
      String name = matcher.group(1);
      names.add(name);
      if (name.chars().allMatch(Character::isDigit) && name.length() < 4) {
        highest = Math.max(highest, Integer.parseInt(name));
      }
    }
    if (named) {
      return List.copyOf(names);
    }
    List<String> positional = new ArrayList<>(highest);
    for (int i = 1; i <= highest; i++) {
      positional.add(String.valueOf(i));
    }
    return positional;
  }

  /** What a send fills in, for the API's template answers (a composer builds its form from it). */
  JsonArray parametersJson() {
    JsonArray parameters = new JsonArray();
    if (header != null) {
      if ("TEXT".equals(header.format())) {
        header.placeholders().forEach(name -> parameters.add(new JsonObject()
            .put("component", "header").put("type", "text").put("name", name)));
      } else {
        parameters.add(new JsonObject().put("component", "header").put("type", header.format().toLowerCase(Locale.ROOT)));
      }
    }
    bodyPlaceholders.forEach(name -> parameters.add(new JsonObject()
        .put("component", "body").put("type", "text").put("name", name)));
    for (Button button : buttons) {
      if (button.parameter() != ButtonParameter.NONE) {
        parameters.add(new JsonObject().put("component", "button").put("index", button.index())
            .put("sub_type", button.parameter().subType).put("type", button.parameter().type)
            .put("required", button.parameter().required()));
      }
    }
    return parameters;
  }

  boolean named() {
    return named;
  }

  Header header() {
    return header;
  }

  String body() {
    return body;
  }

  List<String> bodyPlaceholders() {
    return bodyPlaceholders;
  }

  String footer() {
    return footer;
  }

  List<Button> buttons() {
    return buttons;
  }

  List<String> unsupported() {
    return unsupported;
  }

  private static String upper(Object value) {
    return value instanceof String text ? text.trim().toUpperCase(Locale.ROOT) : "";
  }

  private static String string(JsonObject object, String field) {
    return object.getValue(field) instanceof String text ? text : null;
  }
}

package dev.parley.template;

import dev.parley.http.ApiException;
import dev.parley.template.TemplateDefinition.Header;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks the components a client sends with a template ({@code {"type":"header|body|button",...,"parameters":[…]}},
 * the Cloud API's shape) against the template's definition and renders the result. Every problem is collected,
 * then reported at once as {@code 422 template_parameters_invalid}: a missing, extra, empty or wrongly typed
 * parameter, named by component and placeholder, as WhatsApp would refuse it (error 132000) after the send.
 */
final class TemplateRenderer {
  static final Set<String> BODY_TYPES = Set.of("text", "currency", "date_time");
  private static final Pattern UNSENDABLE_TEXT = Pattern.compile("[\\n\\t]| {5,}");

  private final TemplateDefinition definition;
  private final List<String> problems = new ArrayList<>();

  private TemplateRenderer(TemplateDefinition definition) {
    this.definition = definition;
  }

  /** The rendered header, body, footer and buttons, and their plain text; throws {@link ApiException} (422). */
  static Rendered render(TemplateDefinition definition, JsonArray components) {
    return new TemplateRenderer(definition).run(components);
  }

  /** @param text header (when text), body and footer, one per line; @param preview header, body, footer, buttons */
  record Rendered(String text, JsonObject preview) {}

  private Rendered run(JsonArray components) {
    if (!definition.unsupported().isEmpty()) {
      throw new ApiException(422, "template_unsupported", "the template has a "
          + String.join(", ", definition.unsupported()) + ", which Parley cannot send");
    }
    JsonObject header = null;
    JsonObject body = null;
    Map<Integer, JsonObject> buttons = new TreeMap<>();
    for (int i = 0; i < components.size(); i++) {
      if (!(components.getValue(i) instanceof JsonObject component)) {
        problems.add("components[" + i + "] must be an object");
        continue;
      }
      String type = lower(component.getValue("type"));
      switch (type) {
        case "header" -> header = once(header, component, "header");
        case "body" -> body = once(body, component, "body");
        case "button" -> {
          Integer index = buttonIndex(component.getValue("index"), i);
          if (index != null && buttons.put(index, component) != null) {
            problems.add("button " + index + " is given twice");
          }
        }
        case "footer" -> problems.add("footer takes no parameters: remove the footer component");
        default -> problems.add("components[" + i + "] has type '" + type + "': use header, body or button");
      }
    }
    JsonObject preview = new JsonObject();
    List<String> lines = new ArrayList<>();
    preview.put("header", header(header, lines));
    String bodyText = text("body", definition.body(), definition.bodyPlaceholders(), parameters(body, "body"),
        BODY_TYPES);
    preview.put("body", bodyText);
    if (bodyText != null) {
      lines.add(bodyText);
    }
    preview.put("footer", definition.footer());
    if (definition.footer() != null) {
      lines.add(definition.footer());
    }
    preview.put("buttons", new TemplateButtons(problems).render(definition.buttons(), buttons));
    if (!problems.isEmpty()) {
      throw new ApiException(422, "template_parameters_invalid", String.join("; ", problems));
    }
    return new Rendered(String.join("\n", lines), preview);
  }

  private JsonObject once(JsonObject seen, JsonObject component, String name) {
    if (seen != null) {
      problems.add(name + " is given twice");
    }
    return component;
  }

  private Integer buttonIndex(Object value, int position) {
    String text = value instanceof Number number ? String.valueOf(number) : value instanceof String s ? s.trim() : null;
    if (text == null || !text.matches("[0-9]{1,2}")) {
      problems.add("components[" + position + "] (button) needs an index, the button's position from 0");
      return null;
    }
    return Integer.parseInt(text);
  }

  /**
   * The component's parameters; an absent component or parameter list is an empty one, and one that is not a list
   * is null (reported once, so no parameter is then also reported missing).
   */
  private JsonArray parameters(JsonObject component, String name) {
    return parameters(component, name, problems);
  }

  static JsonArray parameters(JsonObject component, String name, List<String> problems) {
    if (component == null || component.getValue("parameters") == null) {
      return new JsonArray();
    }
    if (component.getValue("parameters") instanceof JsonArray array) {
      return array;
    }
    problems.add(name + " parameters must be an array");
    return null;
  }

  private JsonObject header(JsonObject component, List<String> lines) {
    Header header = definition.header();
    JsonArray parameters = parameters(component, "header");
    if (parameters == null) {
      return null;
    }
    if (header == null) {
      if (!parameters.isEmpty()) {
        problems.add("header: the template has no header, so its " + parameters.size() + " parameter(s) are extra");
      }
      return null;
    }
    String format = header.format();
    if ("TEXT".equals(format)) {
      String text = text("header", header.text(), header.placeholders(), parameters, Set.of("text"));
      if (text != null) {
        lines.add(text);
      }
      return new JsonObject().put("type", "text").put("text", text);
    }
    String type = format.toLowerCase(Locale.ROOT);
    String article = "IMAGE".equals(format) ? "an " : "a ";
    if (parameters.isEmpty()) {
      problems.add("header: the template's header is " + article + type + ", so it needs " + article + type
          + " parameter" + ("LOCATION".equals(format) ? " with latitude and longitude" : " with id or link"));
      return new JsonObject().put("type", type);
    }
    if (parameters.size() > 1) {
      problems.add("header: " + parameters.size() + " parameters given, " + article + type
          + " header takes one; parameter 2 is extra");
    }
    JsonObject parameter = parameters.getValue(0) instanceof JsonObject p ? p : new JsonObject();
    String given = lower(parameter.getValue("type"));
    if (!type.equals(given)) {
      problems.add("header parameter must be of type " + type + " (the template's header is " + format + "), got "
          + (given.isEmpty() ? "no type" : given));
      return new JsonObject().put("type", type);
    }
    JsonObject value = parameter.getValue(type) instanceof JsonObject object ? object : null;
    if ("LOCATION".equals(format)) {
      if (value == null || !(value.getValue("latitude") instanceof Number)
          || !(value.getValue("longitude") instanceof Number)) {
        problems.add("header location needs numeric latitude and longitude");
      }
    } else {
      media(type, value);
    }
    return new JsonObject().put("type", type).put(type, value == null ? null : value.copy());
  }

  private void media(String type, JsonObject value) {
    String id = value == null ? null : nonBlank(value.getValue("id"));
    String link = value == null ? null : nonBlank(value.getValue("link"));
    if (id == null && link == null) {
      problems.add("header " + type + " needs an id (uploaded media) or a link");
    } else if (id != null && link != null) {
      problems.add("header " + type + " takes an id or a link, not both");
    } else if (link != null && !link.matches("(?i)https?://\\S+")) {
      problems.add("header " + type + " link must be an http(s) URL");
    }
  }

  /**
   * Fills the placeholders of a header or body text; problems for every missing, extra, empty or wrongly typed
   * parameter. Null when the template has no such text.
   */
  private String text(String component, String template, List<String> placeholders, JsonArray parameters,
      Set<String> types) {
    if (parameters == null) {
      return template;
    }
    if (template == null) {
      if (!parameters.isEmpty()) {
        problems.add(component + ": the template has no " + component + " text, so its parameters are extra");
      }
      return null;
    }
    Map<String, String> values = definition.named()
        ? namedValues(component, placeholders, parameters, types)
        : positionalValues(component, placeholders, parameters, types);
    return substitute(template, values);
  }

  private Map<String, String> positionalValues(String component, List<String> placeholders, JsonArray parameters,
      Set<String> types) {
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < parameters.size(); i++) {
      if (i >= placeholders.size()) {
        problems.add(component + ": " + parameters.size() + " parameters given, the template takes "
            + placeholders.size() + "; parameter " + (i + 1) + " is extra");
        break;
      }
      JsonObject parameter = parameters.getValue(i) instanceof JsonObject p ? p : null;
      String label = component + " parameter {{" + placeholders.get(i) + "}}";
      if (parameter != null && parameter.containsKey("parameter_name")) {
        problems.add(label + ": parameter_name is only for templates with named parameters");
      }
      String value = value(label, parameter, types);
      if (value != null) {
        values.put(placeholders.get(i), value);
      }
    }
    for (int i = parameters.size(); i < placeholders.size(); i++) {
      problems.add(component + " parameter {{" + placeholders.get(i) + "}} is missing");
    }
    return values;
  }

  private Map<String, String> namedValues(String component, List<String> placeholders, JsonArray parameters,
      Set<String> types) {
    Map<String, String> values = new LinkedHashMap<>();
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < parameters.size(); i++) {
      JsonObject parameter = parameters.getValue(i) instanceof JsonObject p ? p : null;
      String name = parameter == null ? null : nonBlank(parameter.getValue("parameter_name"));
      if (name == null) {
        problems.add(component + " parameter " + (i + 1) + " needs a parameter_name (the template's parameters are "
            + names(placeholders) + ")");
        continue;
      }
      String label = component + " parameter {{" + name + "}}";
      if (!placeholders.contains(name)) {
        problems.add(label + " is extra (the template's parameters are " + names(placeholders) + ")");
        continue;
      }
      if (!seen.add(name)) {
        problems.add(label + " is given twice");
        continue;
      }
      String value = value(label, parameter, types);
      if (value != null) {
        values.put(name, value);
      }
    }
    placeholders.stream().filter(name -> !seen.contains(name))
        .forEach(name -> problems.add(component + " parameter {{" + name + "}} is missing"));
    return values;
  }

  /** The text a parameter puts in place of its placeholder; null (with a problem) when it is not valid. */
  private String value(String label, JsonObject parameter, Set<String> types) {
    if (parameter == null) {
      problems.add(label + " must be an object");
      return null;
    }
    String type = lower(parameter.getValue("type"));
    if (!types.contains(type)) {
      problems.add(label + " must be of type " + String.join(" or ", types.stream().sorted().toList()) + ", got "
          + (type.isEmpty() ? "no type" : type));
      return null;
    }
    return switch (type) {
      case "text" -> {
        if (!(parameter.getValue("text") instanceof String text)) {
          problems.add(label + " needs a text");
          yield null;
        }
        if (text.isBlank()) {
          problems.add(label + " is empty");
          yield null;
        }
        if (UNSENDABLE_TEXT.matcher(text).find()) {
          problems.add(label + " cannot contain new lines, tabs or more than four spaces in a row");
          yield null;
        }
        yield text;
      }
      case "currency" -> {
        JsonObject currency = parameter.getValue("currency") instanceof JsonObject c ? c : new JsonObject();
        String fallback = nonBlank(currency.getValue("fallback_value"));
        boolean code = currency.getValue("code") instanceof String c && c.matches("[A-Za-z]{3}");
        boolean amount = currency.getValue("amount_1000") instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue());
        if (fallback == null || !code || !amount) {
          problems.add(label + " (currency) needs a fallback_value, a three-letter code and a whole amount_1000");
          yield null;
        }
        yield fallback;
      }
      default -> { // date_time
        JsonObject dateTime = parameter.getValue("date_time") instanceof JsonObject d ? d : new JsonObject();
        String fallback = nonBlank(dateTime.getValue("fallback_value"));
        if (fallback == null) {
          problems.add(label + " (date_time) needs a fallback_value");
        }
        yield fallback;
      }
    };
  }

  /** {@code text} with each placeholder replaced by its value (placeholders without one are left as they are). */
  static String substitute(String text, Map<String, String> values) {
    Matcher matcher = TemplateDefinition.PLACEHOLDER.matcher(text);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      matcher.appendReplacement(out, Matcher.quoteReplacement(value == null ? matcher.group() : value));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  private static String names(List<String> placeholders) {
    return placeholders.isEmpty() ? "none"
        : placeholders.stream().map(name -> "{{" + name + "}}").collect(Collectors.joining(", "));
  }

  static String lower(Object value) {
    return value instanceof String text ? text.trim().toLowerCase(Locale.ROOT) : "";
  }

  static String nonBlank(Object value) {
    return value instanceof String text && !text.isBlank() ? text : null;
  }
}

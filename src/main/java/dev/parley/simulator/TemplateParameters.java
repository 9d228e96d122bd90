package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a template send's {@code components[].parameters} against the approved template, like Meta: every
 * component with variables needs exactly as many parameters (132000), a media header needs a parameter of its
 * format (132012).
 */
final class TemplateParameters {
  private static final Pattern VARIABLE = Pattern.compile("\\{\\{\\s*([A-Za-z0-9_]+)\\s*}}");

  private TemplateParameters() {}

  /** Null when the parameters fit the template, else the error to answer. */
  static GraphError check(JsonObject template, JsonArray requestComponents) {
    Map<String, Integer> expected = new LinkedHashMap<>();
    Set<String> optional = new LinkedHashSet<>();
    String headerFormat = null;
    for (Object item : template.getJsonArray("components", new JsonArray())) {
      JsonObject component = (JsonObject) item;
      switch (component.getString("type", "").toUpperCase(Locale.ROOT)) {
        case "HEADER" -> {
          headerFormat = component.getString("format", "TEXT").toUpperCase(Locale.ROOT);
          expected.put("header", headerFormat.equals("TEXT") ? variables(component.getString("text")) : 1);
        }
        case "BODY" -> expected.put("body", variables(component.getString("text")));
        case "BUTTONS" -> {
          JsonArray buttons = component.getJsonArray("buttons", new JsonArray());
          for (int i = 0; i < buttons.size(); i++) {
            JsonObject button = buttons.getJsonObject(i);
            String type = button.getString("type", "").toUpperCase(Locale.ROOT);
            String key = "button " + i;
            switch (type) {
              case "URL" -> expected.put(key, variables(button.getString("url")));
              case "COPY_CODE" -> expected.put(key, 1);
              case "QUICK_REPLY" -> optional.add(key);
              default -> expected.put(key, 0);
            }
          }
        }
        default -> { }
      }
    }

    Map<String, Integer> given = new LinkedHashMap<>();
    JsonObject headerParameter = null;
    for (Object item : requestComponents == null ? new JsonArray() : requestComponents) {
      if (!(item instanceof JsonObject component)) {
        return GraphError.of(100, "Param template['components'] must be an array of objects");
      }
      JsonArray parameters = component.getValue("parameters") instanceof JsonArray array ? array : new JsonArray();
      String type = component.getString("type", "").toLowerCase(Locale.ROOT);
      String key = switch (type) {
        case "header", "body" -> type;
        case "button" -> "button " + component.getValue("index");
        default -> null;
      };
      if (key == null) {
        return GraphError.of(100, "Param template['components'][]['type'] must be one of {HEADER, BODY, BUTTON}");
      }
      given.merge(key, parameters.size(), Integer::sum);
      if (type.equals("header") && !parameters.isEmpty() && parameters.getValue(0) instanceof JsonObject first) {
        headerParameter = first;
      }
    }

    for (var entry : expected.entrySet()) {
      int count = given.getOrDefault(entry.getKey(), 0);
      if (count != entry.getValue()) {
        return mismatch(entry.getKey(), count, entry.getValue());
      }
    }
    for (var entry : given.entrySet()) {
      boolean known = expected.containsKey(entry.getKey());
      if (!known && optional.contains(entry.getKey()) && entry.getValue() <= 1) {
        continue;
      }
      if (!known && entry.getValue() > 0) {
        return mismatch(entry.getKey(), entry.getValue(), 0);
      }
    }
    if (headerFormat != null && !headerFormat.equals("TEXT") && headerParameter != null
        && !headerFormat.equalsIgnoreCase(headerParameter.getString("type", ""))) {
      return GraphError.of(132012, "header: Format mismatch, expected " + headerFormat + ", received "
          + headerParameter.getString("type", "UNKNOWN").toUpperCase(Locale.ROOT));
    }
    return null;
  }

  private static GraphError mismatch(String component, int given, int expected) {
    return GraphError.of(132000, component + ": number of localizable_params (" + given
        + ") does not match the expected number of params (" + expected + ")");
  }

  /** The number of distinct {@code {{n}}} / {@code {{name}}} variables in a text. */
  static int variables(String text) {
    if (text == null) {
      return 0;
    }
    Set<String> names = new LinkedHashSet<>();
    Matcher matcher = VARIABLE.matcher(text);
    while (matcher.find()) {
      names.add(matcher.group(1));
    }
    return names.size();
  }
}

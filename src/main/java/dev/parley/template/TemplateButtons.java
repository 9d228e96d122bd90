package dev.parley.template;

import dev.parley.template.TemplateDefinition.Button;
import dev.parley.template.TemplateDefinition.ButtonParameter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The button part of {@link TemplateRenderer}: matches the {@code {"type":"button","sub_type","index","parameters"}}
 * components of a send against the template's buttons (a URL with a dynamic suffix or a one-time password needs a
 * text, a copy-code button a coupon code; a quick reply may carry a payload; phone-number buttons take nothing) and
 * renders every button, adding each problem to the renderer's list.
 */
final class TemplateButtons {
  private final List<String> problems;

  TemplateButtons(List<String> problems) {
    this.problems = problems;
  }

  /** The template's buttons as rendered with the {@code given} button components (by index). */
  JsonArray render(List<Button> defined, Map<Integer, JsonObject> given) {
    for (var entry : given.entrySet()) {
      if (entry.getKey() >= defined.size()) {
        problems.add("button " + entry.getKey() + " is extra: the template has "
            + (defined.isEmpty() ? "no buttons" : defined.size() + " button(s), indexes 0 to " + (defined.size() - 1)));
      }
    }
    JsonArray rendered = new JsonArray();
    for (Button button : defined) {
      JsonObject out = new JsonObject().put("index", button.index()).put("type", button.type().toLowerCase(Locale.ROOT))
          .put("text", button.text());
      if (button.url() != null) {
        out.put("url", button.url());
      }
      if (button.phoneNumber() != null) {
        out.put("phone_number", button.phoneNumber());
      }
      JsonObject component = given.get(button.index());
      String label = "button " + button.index() + " (" + button.type() + ")";
      ButtonParameter expected = button.parameter();
      if (component == null) {
        if (expected.required()) {
          problems.add(label + (expected == ButtonParameter.TEXT && "URL".equals(button.type())
              ? ": the URL has a dynamic suffix and needs a text parameter"
              : " needs a " + expected.type + " parameter") + " (sub_type " + expected.subType + ")");
        }
        rendered.add(out);
        continue;
      }
      String subType = TemplateRenderer.lower(component.getValue("sub_type"));
      JsonArray parameters = TemplateRenderer.parameters(component, label, problems);
      if (parameters == null) {
        rendered.add(out);
        continue;
      }
      if (expected == ButtonParameter.NONE) {
        problems.add(label + " takes no parameters: remove its component");
      } else if (!expected.subType.equals(subType)) {
        problems.add(label + ": sub_type must be " + expected.subType + ", got "
            + (subType.isEmpty() ? "none" : subType));
      } else if (parameters.size() > 1) {
        problems.add(label + ": " + parameters.size() + " parameters given, it takes one; parameter 2 is extra");
      } else if (parameters.isEmpty()) {
        if (expected.required()) {
          problems.add(label + " needs a " + expected.type + " parameter");
        }
      } else {
        buttonValue(label, button, expected, parameters.getValue(0), out);
      }
      rendered.add(out);
    }
    return rendered;
  }

  private void buttonValue(String label, Button button, ButtonParameter expected, Object value, JsonObject out) {
    JsonObject parameter = value instanceof JsonObject p ? p : new JsonObject();
    String type = TemplateRenderer.lower(parameter.getValue("type"));
    if (!expected.type.equals(type)) {
      problems.add(label + " parameter must be of type " + expected.type + ", got " + (type.isEmpty() ? "no type" : type));
      return;
    }
    Object content = parameter.getValue(type);
    if ("action".equals(type)) {
      if (!(content instanceof JsonObject)) {
        problems.add(label + " parameter needs an action object");
      }
      return;
    }
    String text = TemplateRenderer.nonBlank(content);
    if (text == null) {
      problems.add(label + " parameter " + type + " is empty");
      return;
    }
    switch (expected) {
      case TEXT -> {
        if (button.url() != null) {
          out.put("url", TemplateRenderer.substitute(button.url(), Map.of("1", text)));
        } else {
          out.put("code", text);
        }
      }
      case PAYLOAD -> out.put("payload", text);
      default -> out.put("coupon_code", text);
    }
  }
}

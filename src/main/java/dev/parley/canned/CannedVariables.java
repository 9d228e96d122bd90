package dev.parley.canned;

import dev.parley.store.ContactRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The variables a canned response's body may use ({@code {{contact.name}}}, {@code {{agent.name}}}, …; spaces inside
 * the braces are allowed) and their substitution. A variable without a value becomes the empty string.
 */
final class CannedVariables {
  static final List<String> NAMES = List.of("contact.name", "contact.first_name", "contact.mobile_number",
      "contact.email", "contact.company_name", "agent.name");
  private static final Pattern VARIABLE = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");

  private CannedVariables() {}

  /** The variables of {@code body} that are not one of {@link #NAMES}, each once, in order. */
  static List<String> unknown(String body) {
    Set<String> unknown = new LinkedHashSet<>();
    Matcher matcher = VARIABLE.matcher(body);
    while (matcher.find()) {
      if (!NAMES.contains(matcher.group(1))) {
        unknown.add(matcher.group(1));
      }
    }
    return new ArrayList<>(unknown);
  }

  /** The values for a contact (and the agent's name); null fields become empty strings. */
  static Map<String, String> values(ContactRow contact, String agentName) {
    Map<String, String> values = new LinkedHashMap<>();
    String name = contact.name() == null ? "" : contact.name().strip();
    values.put("contact.name", name);
    values.put("contact.first_name", name.isEmpty() ? "" : name.split("\\s+", 2)[0]);
    values.put("contact.mobile_number", orEmpty(contact.mobileNumber()));
    values.put("contact.email", orEmpty(contact.email()));
    values.put("contact.company_name", orEmpty(contact.companyName()));
    values.put("agent.name", orEmpty(agentName));
    return values;
  }

  /** {@code body} with every known variable replaced by its value. */
  static String render(String body, Map<String, String> values) {
    Matcher matcher = VARIABLE.matcher(body);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      String value = values.get(matcher.group(1));
      matcher.appendReplacement(out, Matcher.quoteReplacement(value == null ? matcher.group() : value));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  private static String orEmpty(String value) {
    return value == null ? "" : value;
  }
}

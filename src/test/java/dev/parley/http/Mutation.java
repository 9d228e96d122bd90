package dev.parley.http;

import dev.parley.http.SchemaValues.Property;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * One change to one property of a JSON body: a value of another type, null, removal, or a hostile value. Values
 * JSON cannot hold as Java objects (a lone surrogate escape, 1e400, nesting thousands deep) are written as raw
 * JSON text in place of a placeholder.
 */
record Mutation(String name, Object placeholder, boolean remove, String raw) {
  private static final String PLACEHOLDER = "@@parley-fuzz-raw@@";

  static Mutation value(String name, Object value) {
    return new Mutation(name, value, false, null);
  }

  static Mutation raw(String name, String json) {
    return new Mutation(name, PLACEHOLDER, false, json);
  }

  /** The body's JSON text, with the raw value in place. */
  String encode(JsonObject body) {
    String text = body.encode();
    return raw == null ? text : text.replace("\"" + PLACEHOLDER + "\"", raw);
  }

  /**
   * The mutations of {@code property}: first null, removal and a value of the wrong type (the ones every top-level
   * property gets), then, shuffled, every other kind.
   */
  static List<Mutation> forProperty(Property property, Random random) {
    List<String> types = OpenApiOperations.types(property.schema());
    List<Mutation> first = new ArrayList<>();
    first.add(value("null", null));
    first.add(new Mutation("missing" + (property.required() ? " (required)" : ""), null, true, null));
    first.add(wrongType(types, random));

    List<Mutation> rest = new ArrayList<>();
    for (String type : List.of("string", "integer", "boolean", "object", "array")) {
      if (!types.contains(type) && !(type.equals("integer") && types.contains("number"))) {
        rest.add(value("wrong type " + type, example(type)));
      }
    }
    rest.add(value("NUL inside", "a\u0000b"));
    rest.add(raw("lone surrogate", "\"x\\ud800y\""));
    rest.add(raw("lone low surrogate", "\"\\udc00\""));
    rest.add(value("long string", "x".repeat(100_000)));
    rest.add(raw("huge number", "1e400"));
    rest.add(raw("huge integer", "123456789012345678901234567890"));
    rest.add(value("negative", -1));
    rest.add(value("min long", Long.MIN_VALUE));
    rest.add(raw("deep nesting", "[".repeat(5_000) + "]".repeat(5_000)));
    rest.add(raw("deep object", "{\"a\":".repeat(1_500) + "1" + "}".repeat(1_500)));
    rest.add(value("big array", RestFuzzTest.array(20_000, 7)));
    rest.add(value("big array of strings", RestFuzzTest.array(2_000, "s".repeat(50))));
    rest.add(value("SQL", "' OR 1=1 --"));
    rest.add(value("SQL drop", "'); DROP TABLE messages; --"));
    rest.add(value("script", "<script>alert(1)</script>"));
    rest.add(value("empty string", ""));
    rest.add(value("blank string", "   "));
    rest.add(value("bad id", "not-a-uuid"));
    rest.add(value("nil id", "00000000-0000-0000-0000-000000000000"));
    rest.add(value("unknown id", UUID.randomUUID().toString()));
    rest.add(value("id with NUL", UUID.randomUUID() + "\u0000"));
    rest.add(value("unknown enum value", "NOT_A_KNOWN_VALUE"));
    rest.add(value("emoji", "\ud83d\ude00\u200d\ufe0f"));
    rest.add(value("bad date", "2026-13-45T99:99:99Z"));
    rest.add(value("far date", "+999999999-12-31T23:59:59Z"));
    rest.add(value("object with NUL key", new JsonObject().put("\u0000", "x")));
    rest.add(value("array of nulls", new JsonArray().addNull().addNull()));
    rest.add(value("array of objects", new JsonArray().add(new JsonObject()).add(new JsonObject().put("type", 1))));
    java.util.Collections.shuffle(rest, random);
    first.addAll(rest);
    return first;
  }

  private static Mutation wrongType(List<String> types, Random random) {
    List<String> others = new ArrayList<>(List.of("string", "integer", "boolean", "object", "array"));
    others.removeAll(types);
    if (types.contains("number")) {
      others.remove("integer");
    }
    String type = others.get(random.nextInt(others.size()));
    return value("wrong type " + type, example(type));
  }

  private static Object example(String type) {
    return switch (type) {
      case "string" -> "a string";
      case "integer" -> 42;
      case "boolean" -> true;
      case "object" -> new JsonObject().put("x", 1);
      default -> new JsonArray().add(1).add("two");
    };
  }
}

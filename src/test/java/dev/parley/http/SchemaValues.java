package dev.parley.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * Values made from the document's schemas: a plausible valid instance of a request body (required properties, and
 * for a Cloud-API-shaped object whose {@code type} names one of its properties, that property too), and every
 * property path of a body with its schema, for mutating one at a time. Ids come from {@code ids} by property name
 * ({@code conversation_id}, {@code media_id}, ...), so a valid body names real objects.
 */
final class SchemaValues {
  /** A property of a body: its path from the root and its schema. */
  record Property(List<String> path, JsonObject schema, boolean required) {
    String name() {
      return path.get(path.size() - 1);
    }

    @Override
    public String toString() {
      return String.join(".", path);
    }
  }

  private final OpenApiOperations doc;
  private final Function<String, String> ids;
  private int counter;

  /** {@code ids}: a real id for a property name, or null when there is none to name. */
  SchemaValues(OpenApiOperations doc, Function<String, String> ids) {
    this.doc = doc;
    this.ids = ids;
  }

  /** A valid-looking instance of {@code schema} for a property called {@code name} (null at the root). */
  Object valid(JsonObject schema, String name) {
    return valid(doc.resolve(schema), name, 0);
  }

  private Object valid(JsonObject schema, String name, int depth) {
    if (schema.containsKey("const")) {
      return schema.getValue("const");
    }
    if (schema.getJsonArray("enum") != null && !schema.getJsonArray("enum").isEmpty()) {
      return schema.getJsonArray("enum").getValue(0);
    }
    if (schema.containsKey("default")) {
      return schema.getValue("default");
    }
    List<String> types = OpenApiOperations.types(schema);
    String type = types.stream().filter(t -> !t.equals("null")).findFirst().orElse("object");
    switch (type) {
      case "string":
        return string(schema, name);
      case "integer":
        return schema.getValue("minimum") instanceof Number n ? n.longValue() : 1L;
      case "number":
        return 1.5;
      case "boolean":
        return true;
      case "array": {
        JsonArray array = new JsonArray();
        JsonObject items = schema.getJsonObject("items");
        int size = Math.max(1, schema.getInteger("minItems", 1));
        for (int i = 0; i < size && items != null && depth < 6; i++) {
          array.add(valid(doc.resolve(items), singular(name), depth + 1));
        }
        return array;
      }
      default:
        return object(schema, depth);
    }
  }

  private JsonObject object(JsonObject schema, int depth) {
    JsonObject object = new JsonObject();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    if (depth > 6) {
      return object;
    }
    JsonArray required = schema.getJsonArray("required", new JsonArray());
    for (Object key : required) {
      JsonObject property = properties.getJsonObject((String) key);
      object.put((String) key, property == null ? "x" : valid(doc.resolve(property), (String) key, depth + 1));
    }
    // the Cloud API's shape: {"type":"text","text":{...}}: the object named by the type goes with it
    if (object.getValue("type") instanceof String kind && properties.getJsonObject(kind) != null) {
      object.put(kind, valid(doc.resolve(properties.getJsonObject(kind)), kind, depth + 1));
    }
    // the content of a message-like body, optional where another field may stand in for it
    for (String content : List.of("message", "text", "body", "emoji")) {
      JsonObject property = properties.getJsonObject(content);
      if (property != null && !object.containsKey(content)
          && OpenApiOperations.types(doc.resolve(property)).contains("string")) {
        object.put(content, valid(doc.resolve(property), content, depth + 1));
      }
    }
    // a Cloud API message whose schema leaves the object named by its type free: a text gets a body
    if ("text".equals(object.getValue("type")) && !object.containsKey("text")) {
      object.put("text", new JsonObject().put("body", "fuzz text"));
    }
    // nothing required (an update, "one of these"): the first property, so that the body asks for something
    if (object.isEmpty() && !properties.isEmpty()) {
      String first = properties.fieldNames().iterator().next();
      object.put(first, valid(doc.resolve(properties.getJsonObject(first)), first, depth + 1));
    }
    return object;
  }

  private String string(JsonObject schema, String name) {
    String key = name == null ? "" : name;
    String id = ids.apply(key);
    String format = schema.getString("format", "");
    if (id != null) {
      return id;
    }
    if (format.equals("uuid") || key.endsWith("_id") && !key.equals("external_id") && !key.equals("wa_id")) {
      return UUID.randomUUID().toString();
    }
    int n = ++counter;
    String value;
    if (format.equals("date")) {
      value = "1990-04-01";
    } else if (format.equals("date-time") || key.endsWith("_at")) {
      value = Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
    } else if (format.equals("uri") || key.endsWith("url") || key.equals("link")) {
      value = "https://example.test/file-" + n + ".png";
    } else if (key.equals("email")) {
      value = "fuzz-" + n + "-" + UUID.randomUUID().toString().substring(0, 6) + "@example.test";
    } else if (key.equals("password")) {
      value = "fuzz-password-" + n;
    } else if (key.contains("phone") || key.contains("mobile") || key.equals("wa_id")) {
      value = "+1415555" + String.format("%04d", n % 10_000);
    } else if (key.equals("time_zone")) {
      value = "UTC";
    } else if (key.equals("code")) {
      value = "en_US";
    } else if (key.equals("provider")) {
      value = "whatsapp";
    } else if (key.equals("external_id")) {
      value = String.valueOf(100_000_000_000_000L + Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000_000L));
    } else if (key.equals("short_code")) {
      value = "fz" + n + UUID.randomUUID().toString().substring(0, 4);
    } else if (key.equals("emoji")) {
      value = "\ud83d\udc4d";
    } else if (key.equals("country")) {
      value = "US";
    } else {
      value = "fuzz " + key.replace('_', ' ') + " " + n;
    }
    int min = schema.getInteger("minLength", 0);
    return value.length() >= min ? value : value + "x".repeat(min - value.length());
  }

  private static String singular(String name) {
    return name != null && name.endsWith("s") ? name.substring(0, name.length() - 1) : name;
  }

  /** Every property reachable from {@code schema} through objects (not into arrays), up to {@code maxDepth}. */
  List<Property> properties(JsonObject schema, int maxDepth) {
    List<Property> found = new ArrayList<>();
    collect(doc.resolve(schema), new ArrayList<>(), maxDepth, found);
    return found;
  }

  private void collect(JsonObject schema, List<String> path, int maxDepth, List<Property> found) {
    JsonObject properties = schema.getJsonObject("properties");
    if (properties == null || path.size() >= maxDepth) {
      return;
    }
    JsonArray required = schema.getJsonArray("required", new JsonArray());
    for (String key : properties.fieldNames()) {
      JsonObject child = doc.resolve(properties.getJsonObject(key));
      List<String> childPath = new ArrayList<>(path);
      childPath.add(key);
      found.add(new Property(List.copyOf(childPath), child, required.contains(key)));
      collect(child, childPath, maxDepth, found);
    }
  }

  /**
   * In a Cloud-API-shaped object ({@code {"type":"image","image":{...}}}), going into the object {@code key} makes it
   * the type, and drops the object of the previous type, so a change inside it is read rather than ignored.
   */
  private void selectKind(JsonObject node, JsonObject schema, String key) {
    JsonObject type = schema.getJsonObject("properties", new JsonObject()).getJsonObject("type");
    JsonArray kinds = type == null ? null : doc.resolve(type).getJsonArray("enum");
    if (kinds != null && kinds.contains(key) && node.getValue("type") instanceof String current && !current.equals(key)) {
      node.remove(current);
      node.put("type", key);
    }
  }

  /**
   * {@code body} (a copy) with the property at {@code property}'s path set to {@code value}, or removed when
   * {@code remove}; parents that are missing are made valid first.
   */
  JsonObject with(JsonObject body, JsonObject rootSchema, Property property, Object value, boolean remove) {
    JsonObject copy = body.copy();
    JsonObject node = copy;
    JsonObject schema = doc.resolve(rootSchema);
    List<String> path = property.path();
    for (int i = 0; i < path.size() - 1; i++) {
      String key = path.get(i);
      selectKind(node, schema, key);
      schema = doc.resolve(schema.getJsonObject("properties").getJsonObject(key));
      if (!(node.getValue(key) instanceof JsonObject)) {
        Object made = valid(schema, key);
        node.put(key, made instanceof JsonObject o ? o : new JsonObject());
      }
      node = node.getJsonObject(key);
    }
    if (remove) {
      node.remove(property.name());
    } else {
      node.put(property.name(), value);
    }
    return copy;
  }
}

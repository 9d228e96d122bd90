package dev.parley.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The REST operations of a served {@code /openapi.json} (under {@code /api/v1}, {@code /rest/v1} and
 * {@code /functions/v1}), with their parameters and request body schemas, {@code $ref}s resolved. What the
 * generated tests ({@link RestFuzzTest}, {@link TenantIsolationTest}) iterate over, so a new endpoint is covered
 * as soon as the document describes it.
 */
final class OpenApiOperations {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
  private static final List<String> PREFIXES = List.of("/api/v1/", "/rest/v1/", "/functions/v1/");

  /** One parameter: {@code in} is path, query or header. */
  record Param(String name, String in, boolean required, JsonObject schema) {}

  /** One operation; {@code bodySchema} is null without a request body, {@code bodyType} its media type. */
  record Operation(String method, String path, List<Param> params, JsonObject bodySchema, String bodyType,
      boolean bodyRequired) {
    @Override
    public String toString() {
      return method + " " + path;
    }

    List<Param> in(String where) {
      return params.stream().filter(p -> p.in().equals(where)).toList();
    }

    boolean platform() {
      return path.startsWith("/functions/v1/");
    }

    boolean json() {
      return "application/json".equals(bodyType);
    }
  }

  private final JsonObject doc;

  OpenApiOperations(JsonObject doc) {
    this.doc = doc;
  }

  /** Every REST operation of the document except the WebSocket upgrade, in document order. */
  List<Operation> rest() {
    List<Operation> operations = new ArrayList<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      if (PREFIXES.stream().noneMatch(path::startsWith)) {
        continue;
      }
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!METHODS.contains(method)) {
          continue;
        }
        JsonObject op = item.getJsonObject(method);
        Map<String, Param> params = new LinkedHashMap<>();
        for (JsonArray list : new JsonArray[] {item.getJsonArray("parameters"), op.getJsonArray("parameters")}) {
          if (list == null) {
            continue;
          }
          for (Object raw : list) {
            JsonObject p = resolve((JsonObject) raw);
            JsonObject schema = p.getJsonObject("schema") == null ? new JsonObject() : resolve(p.getJsonObject("schema"));
            params.put(p.getString("in") + ":" + p.getString("name"),
                new Param(p.getString("name"), p.getString("in"), p.getBoolean("required", false), schema));
          }
        }
        JsonObject body = op.getJsonObject("requestBody") == null ? null : resolve(op.getJsonObject("requestBody"));
        JsonObject bodySchema = null;
        String bodyType = null;
        if (body != null && body.getJsonObject("content") != null && !body.getJsonObject("content").isEmpty()) {
          bodyType = body.getJsonObject("content").fieldNames().iterator().next();
          JsonObject schema = body.getJsonObject("content").getJsonObject(bodyType).getJsonObject("schema");
          bodySchema = schema == null ? new JsonObject() : resolve(schema);
        }
        operations.add(new Operation(method.toUpperCase(), path, List.copyOf(params.values()), bodySchema, bodyType,
            body != null && body.getBoolean("required", false)));
      }
    }
    return operations;
  }

  /** {@code node} with its {@code $ref} (to this document) followed, repeatedly; other nodes as they are. */
  JsonObject resolve(JsonObject node) {
    JsonObject current = node;
    for (int hops = 0; current != null && current.containsKey("$ref"); hops++) {
      if (hops > 20) {
        throw new IllegalStateException("$ref loop at " + node);
      }
      String ref = current.getString("$ref");
      if (!ref.startsWith("#/")) {
        throw new IllegalStateException("external $ref " + ref);
      }
      Object target = doc;
      for (String part : ref.substring(2).split("/")) {
        target = ((JsonObject) target).getValue(part.replace("~1", "/").replace("~0", "~"));
      }
      current = (JsonObject) target;
    }
    return current;
  }

  /** The JSON types a schema allows ({@code type} as a string or an array; an {@code enum}'s values' types). */
  static List<String> types(JsonObject schema) {
    Object type = schema.getValue("type");
    List<String> types = new ArrayList<>();
    if (type instanceof String t) {
      types.add(t);
    } else if (type instanceof JsonArray array) {
      array.forEach(t -> types.add((String) t));
    } else if (schema.getJsonArray("enum") != null) {
      for (Object value : schema.getJsonArray("enum")) {
        String t = value == null ? "null" : value instanceof String ? "string" : value instanceof Boolean ? "boolean"
            : value instanceof Number ? "number" : "object";
        if (!types.contains(t)) {
          types.add(t);
        }
      }
    } else if (schema.getJsonObject("properties") != null) {
      types.add("object");
    }
    return types;
  }
}

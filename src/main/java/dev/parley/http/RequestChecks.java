package dev.parley.http;

import dev.parley.store.StorableText;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the API checks of every request at the edge, before authentication and before any domain code runs:
 * <ul>
 *   <li>{@link #storableText}: the path, query parameters, headers and JSON body hold no text PostgreSQL cannot
 *       store ({@link StorableText}); {@code 400 invalid_text} names the field.</li>
 *   <li>{@link #mountBodySchemas}: a JSON body has the shape its operation's request schema in the served OpenAPI
 *       document gives it (types, nulls, required fields, unknown fields where the schema closes the object);
 *       {@code 400 invalid_request} names the field and what is wrong. A route added to the document is checked
 *       without further code. The schema's value rules (lengths, ranges, enumerations, patterns) are left to the
 *       domain, which answers each with its own stable code ({@code text_too_long},
 *       {@code message_type_unsupported}...): the document describes them, the domain enforces them.</li>
 * </ul>
 * A body is decoded once: the routes read the same decoded object.
 */
public final class RequestChecks {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
  /** Keywords about values, not shape: the domain checks these, each with its own error code. */
  private static final Set<String> VALUE_KEYWORDS = Set.of("maxLength", "minLength", "pattern", "format", "enum",
      "const", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "maxItems", "minItems",
      "uniqueItems", "maxProperties", "minProperties");
  /** Keywords whose value is one schema, and those whose value is a list of schemas or a map of named schemas. */
  private static final Set<String> SCHEMA = Set.of("items", "additionalProperties", "not", "contains",
      "propertyNames", "if", "then", "else", "unevaluatedProperties", "unevaluatedItems");
  private static final Set<String> SCHEMA_LISTS = Set.of("allOf", "anyOf", "oneOf", "prefixItems");
  private static final Set<String> SCHEMA_MAPS = Set.of("properties", "patternProperties", "$defs", "schemas");
  private static final String ABSENT = "parley.body.absent";
  /**
   * Marks a schema in the document whose value the route checks itself with a more precise answer (a template's
   * parameters: {@code 422 template_parameters_invalid} naming the component and placeholder); the shape check
   * accepts any value there.
   */
  private static final String CHECKED_BY_ROUTE = "x-checked-by-route";
  /** The name of the routes {@link #mountBodySchemas} adds. */
  static final String BODY_CHECK = "request body check";

  private RequestChecks() {}

  /** Refuses a request carrying text PostgreSQL cannot store anywhere it could reach a statement. */
  public static Handler<RoutingContext> storableText() {
    return ctx -> {
      String path;
      try {
        path = QueryStringDecoder.decodeComponent(ctx.request().path());
      } catch (IllegalArgumentException e) {
        ctx.fail(ApiException.invalid("the path is not validly percent-encoded"));
        return;
      }
      StorableText.Unstorable found = text("the path", path);
      for (var param : paramsOf(ctx)) {
        found = found != null ? found : text("the query parameter name " + quoted(param.getKey()), param.getKey());
        found = found != null ? found : text("the query parameter " + quoted(param.getKey()), param.getValue());
      }
      for (var header : ctx.request().headers()) {
        found = found != null ? found : text("the " + header.getKey() + " header", header.getValue());
      }
      if (found == null) {
        Object body = json(ctx);
        found = body == null ? null : StorableText.find(body, "");
      }
      if (found != null) {
        ctx.fail(new ApiException(400, "invalid_text", found.message()));
        return;
      }
      ctx.next();
    };
  }

  /**
   * Mounts, on {@code router} (serving the paths under {@code prefix}), a check of the JSON request body of every
   * operation of {@code openapi} under that prefix that declares one. Mount before the operations' own routes.
   */
  public static void mountBodySchemas(Router router, String prefix, JsonObject openapi) {
    JsonObject components = openapi.getJsonObject("components", new JsonObject());
    JsonObject paths = openapi.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      if (!path.startsWith(prefix + "/")) {
        continue;
      }
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!METHODS.contains(method)) {
          continue;
        }
        JsonObject body = item.getJsonObject(method).getJsonObject("requestBody");
        JsonObject schema = body == null ? null
            : body.getJsonObject("content", new JsonObject()).getJsonObject("application/json", new JsonObject())
                .getJsonObject("schema");
        if (schema == null) {
          continue;
        }
        // the schema's "#/components/..." references resolve against a copy that carries the components
        JsonObject standalone = shape(schema).put("components", shape(components));
        Validator validator = Validator.create(JsonSchema.of(standalone), new JsonSchemaOptions()
            .setDraft(Draft.DRAFT202012).setOutputFormat(OutputFormat.Basic).setBaseUri("https://parley.invalid/"));
        String routePath = path.substring(prefix.length()).replaceAll("\\{([A-Za-z_]+)}", ":$1");
        router.route(HttpMethod.valueOf(method.toUpperCase()), routePath)
            .setName(BODY_CHECK) // not an operation of its own (see ApiRoutes#operations)
            .handler(check(validator, resolved(schema, components), body.getBoolean("required", false)));
      }
    }
  }

  /** {@code schema}, or the component it refers to. */
  private static JsonObject resolved(JsonObject schema, JsonObject components) {
    String ref = schema.getString("$ref");
    String prefix = "#/components/schemas/";
    return ref != null && ref.startsWith(prefix)
        ? components.getJsonObject("schemas", new JsonObject()).getJsonObject(ref.substring(prefix.length()), schema)
        : schema;
  }

  /** {@code schema} without its {@link #VALUE_KEYWORDS}, at any depth (property names are kept whatever they are). */
  static JsonObject shape(JsonObject schema) {
    JsonObject shape = new JsonObject();
    if (Boolean.TRUE.equals(schema.getValue(CHECKED_BY_ROUTE))) {
      return shape; // any value: its route checks it, naming each problem its own way
    }
    for (String key : schema.fieldNames()) {
      Object value = schema.getValue(key);
      if (VALUE_KEYWORDS.contains(key)) {
        continue;
      }
      if (SCHEMA.contains(key) && value instanceof JsonObject inner) {
        shape.put(key, shape(inner));
      } else if (SCHEMA_LISTS.contains(key) && value instanceof io.vertx.core.json.JsonArray list) {
        var shapes = new io.vertx.core.json.JsonArray();
        list.forEach(item -> shapes.add(item instanceof JsonObject inner ? shape(inner) : item));
        shape.put(key, shapes);
      } else if (SCHEMA_MAPS.contains(key) && value instanceof JsonObject named) {
        JsonObject shapes = new JsonObject();
        named.forEach(entry -> shapes.put(entry.getKey(),
            entry.getValue() instanceof JsonObject inner ? shape(inner) : entry.getValue()));
        shape.put(key, shapes);
      } else {
        shape.put(key, value);
      }
    }
    return shape;
  }

  private static Handler<RoutingContext> check(Validator validator, JsonObject schema, boolean required) {
    return ctx -> {
      if (multipart(ctx)) {
        ctx.next();
        return;
      }
      Object body = json(ctx);
      if (body == null) {
        if (ctx.get(ABSENT) != null) {
          if (required) {
            ctx.fail(ApiException.invalid("a JSON body is required"));
            return;
          }
          ctx.next();
          return;
        }
        ctx.fail(ApiException.invalid(ctx.get(ABSENT + ".null") != null
            ? "the body must not be null" : "the body is not valid JSON"));
        return;
      }
      OutputUnit result = validator.validate(body);
      if (Boolean.FALSE.equals(result.getValid())) {
        Problem problem = describe(result);
        ctx.fail(new ApiException(400, errorCode(schema, problem.field()), problem.message()));
        return;
      }
      ctx.next();
    };
  }

  /** Where a body breaks its schema, and how. */
  record Problem(String field, String error) {
    String message() {
      return field.isEmpty() ? "the body: " + error : field + ": " + error;
    }
  }

  private static final java.util.regex.Pattern REQUIRED = java.util.regex.Pattern.compile("required property \"([^\"]+)\"");

  /** The most specific error of a failed validation; a missing property is named itself ("message: is required"). */
  static Problem describe(OutputUnit result) {
    OutputUnit best = result;
    List<OutputUnit> errors = result.getErrors();
    if (errors != null) {
      for (OutputUnit error : errors) {
        if (error.getError() != null && (best.getError() == null || moreSpecific(error, best))) {
          best = error;
        }
      }
    }
    String field = field(best.getInstanceLocation());
    String error = best.getError() == null ? "does not match the schema" : best.getError();
    var missing = REQUIRED.matcher(error);
    if (missing.find()) {
      return new Problem(field.isEmpty() ? missing.group(1) : field + "." + missing.group(1), "is required");
    }
    return new Problem(field, error);
  }

  /**
   * The code to answer a shape error with: {@code invalid_request}, unless the top-level property it is in names
   * its own with {@code x-error-code} in the document (a whole message object that is not one: {@code
   * invalid_message}), which is the code the domain has always answered for it.
   */
  static String errorCode(JsonObject schema, String field) {
    String property = field.split("[.\\[]", 2)[0];
    Object code = schema.getJsonObject("properties", new JsonObject())
        .getJsonObject(property, new JsonObject()).getValue("x-error-code");
    return code instanceof String text ? text : "invalid_request";
  }

  /** {@code #/text/body} or {@code /labels/2} → {@code text.body}, {@code labels[2]}. */
  static String field(String pointer) {
    if (pointer == null) {
      return "";
    }
    String p = pointer.startsWith("#") ? pointer.substring(1) : pointer;
    StringBuilder field = new StringBuilder();
    for (String part : p.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      String name = part.replace("~1", "/").replace("~0", "~");
      if (name.chars().allMatch(Character::isDigit) && field.length() > 0) {
        field.append('[').append(name).append(']');
      } else {
        field.append(field.length() == 0 ? "" : ".").append(name);
      }
    }
    return field.toString();
  }

  /** Deeper in the body, or as deep but deeper in the schema (a type error rather than "does not match"). */
  private static boolean moreSpecific(OutputUnit error, OutputUnit than) {
    int instance = Integer.compare(depth(error.getInstanceLocation()), depth(than.getInstanceLocation()));
    return instance > 0 || instance == 0
        && depth(error.getKeywordLocation()) > depth(than.getKeywordLocation());
  }

  private static int depth(String pointer) {
    return pointer == null ? -1 : (int) pointer.chars().filter(c -> c == '/').count();
  }

  /**
   * The request's JSON body, decoded once (the routes' {@code ctx.body().asJsonObject()} reads the same object):
   * null when there is none (then {@link #ABSENT} is set), when it is the JSON literal null, or when it is not JSON.
   */
  private static Object json(RoutingContext ctx) {
    if (multipart(ctx)) {
      return null;
    }
    Buffer buffer = ctx.body() == null ? null : ctx.body().buffer();
    int start = buffer == null ? -1 : firstNonBlank(buffer);
    if (start < 0) {
      ctx.put(ABSENT, true);
      return null;
    }
    try {
      return switch (buffer.getByte(start)) {
        case '{' -> ctx.body().asJsonObject();
        case '[' -> ctx.body().asJsonArray();
        default -> {
          Object value = Json.decodeValue(buffer);
          if (value == null) {
            ctx.put(ABSENT + ".null", true);
          }
          yield value;
        }
      };
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  private static int firstNonBlank(Buffer buffer) {
    for (int i = 0; i < buffer.length(); i++) {
      byte b = buffer.getByte(i);
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return i;
      }
    }
    return -1;
  }

  private static boolean multipart(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    return type != null && type.regionMatches(true, 0, "multipart/", 0, 10);
  }

  private static List<Map.Entry<String, String>> paramsOf(RoutingContext ctx) {
    try {
      return ctx.queryParams().entries();
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid("the query string is not validly percent-encoded");
    }
  }

  private static StorableText.Unstorable text(String field, String value) {
    String problem = value == null ? null : StorableText.problem(value);
    return problem == null ? null : new StorableText.Unstorable(field, problem);
  }

  /** A name from the request, safe to put in an error message. */
  private static String quoted(String name) {
    return StorableText.problem(name) == null && name.length() <= 64 ? name : "(a parameter)";
  }
}

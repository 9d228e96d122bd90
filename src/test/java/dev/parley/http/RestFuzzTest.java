package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.http.OpenApiOperations.Operation;
import dev.parley.http.OpenApiOperations.Param;
import dev.parley.http.SchemaValues.Property;
import dev.parley.testing.TestApp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every REST operation of {@code /openapi.json} gets requests mutated by type from its own schema: wrong types,
 * missing required fields, nulls, huge and deeply nested values, NUL characters and lone surrogates, bad ids,
 * SQL- and script-like text, unknown fields, wrong content types, malformed multipart. Path ids name real objects
 * (see {@link Tenant}), so the mutations reach domain code. No answer may be a 5xx, and every refusal must use the
 * one error shape ({@code {"success":false,...}} under {@code /functions/v1}). Seeded ({@code -Dfuzz.seed}); the
 * number of sampled body mutations per operation is {@code -Dfuzz.rest.cases}. Every failing case is reported, with
 * its operation, mutation and answer.
 */
@Tag("e2e")
class RestFuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", 20261203L);
  private static final int SAMPLED = Integer.getInteger("fuzz.rest.cases", 40);
  private static TestApp app;
  private static Tenant tenant;
  private static OpenApiOperations doc;
  private static SchemaValues values;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    tenant = Tenant.demo(app, "447700900101");
    doc = new OpenApiOperations(app.get("/openapi.json").bodyAsJsonObject());
    values = new SchemaValues(doc, tenant::idFor);
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** One request to send: what was changed, and the request. */
  record Case(String mutation, String pathAndQuery, Map<String, String> headers, Buffer body) {}

  @Test
  void mutatedRequestsToEveryOperationGetNoServerErrorAndOnlyTheOneErrorShape() {
    Random random = new Random(SEED);
    List<Operation> operations = new ArrayList<>(doc.rest());
    assertTrue(operations.size() > 40, "the document lists the REST operations: " + operations.size());
    // deletions last, so the objects the other operations name still exist while they run
    operations.sort(Comparator.comparing((Operation op) -> op.method().equals("DELETE")));
    List<String> failures = new ArrayList<>();
    int count = 0;
    Map<String, Integer> perOperation = new LinkedHashMap<>();
    for (Operation op : operations) {
      List<Case> cases = cases(op, random);
      perOperation.put(op.toString(), cases.size());
      for (Case c : cases) {
        count++;
        String problem = check(op, c);
        if (problem != null) {
          String target = c.pathAndQuery().substring(0, Math.min(200, c.pathAndQuery().length()));
          failures.add(op + " | " + c.mutation() + " | " + target + " | " + problem);
        }
      }
    }
    System.out.println("RestFuzzTest: " + operations.size() + " operations, " + count + " cases (per operation "
        + perOperation.values().stream().mapToInt(Integer::intValue).summaryStatistics() + "), seed " + SEED);
    assertEquals(200, app.api(HttpMethod.GET, "/api/v1/auth/me", null, tenant.adminToken).statusCode(),
        "the server still serves after the fuzz");
    assertTrue(failures.isEmpty(), failures.size() + " of " + count + " cases failed (seed " + SEED + "):\n"
        + String.join("\n", failures));
  }

  /** Null when the answer is acceptable, else what is wrong with it. */
  private static String check(Operation op, Case c) {
    HttpResponse<Buffer> response;
    try {
      var request = app.http.request(HttpMethod.valueOf(op.method()), app.parley.httpPort(), "127.0.0.1", c.pathAndQuery())
          .timeout(10_000);
      c.headers().forEach(request::putHeader);
      response = c.body() == null ? request.send().await() : request.sendBuffer(c.body()).await();
    } catch (Exception e) {
      return "no answer: " + e;
    }
    int status = response.statusCode();
    String text = response.bodyAsString() == null ? "" : response.bodyAsString();
    String answer = status + " " + text.substring(0, Math.min(text.length(), 300));
    if (status >= 500) {
      return "server error: " + answer;
    }
    if (status < 400) {
      return null;
    }
    try {
      JsonObject body = new JsonObject(text);
      JsonObject error = body.getJsonObject("error");
      if (error == null || !(error.getValue("code") instanceof String code) || code.isEmpty()
          || !(error.getValue("message") instanceof String)) {
        return "not the error shape: " + answer;
      }
      if (op.platform() && !Boolean.FALSE.equals(body.getValue("success"))) {
        return "not the platform's error shape: " + answer;
      }
      return null;
    } catch (RuntimeException e) {
      return "not the error shape: " + answer;
    }
  }

  // --- building the cases -------------------------------------------------------------------------------------

  private static List<Case> cases(Operation op, Random random) {
    List<Case> cases = new ArrayList<>();
    Map<String, String> path = new LinkedHashMap<>();
    for (Param p : op.in("path")) {
      String value = pathValue(op, p.name());
      path.put(p.name(), value == null ? UUID.randomUUID().toString() : value);
    }
    Map<String, String> query = new LinkedHashMap<>();
    for (Param p : op.in("query")) {
      if (p.required()) {
        query.put(p.name(), String.valueOf(values.valid(p.schema(), p.name())));
      }
    }
    Buffer validBody = null;
    JsonObject baseline = null;
    if (op.json()) {
      Object made = values.valid(op.bodySchema(), null);
      baseline = made instanceof JsonObject o ? o : new JsonObject();
      validBody = Buffer.buffer(baseline.encode());
    }
    Map<String, String> headers = new LinkedHashMap<>(auth(op, url(op, path, query), validBody));
    if (op.json()) {
      headers.put("Content-Type", "application/json");
    }
    final Buffer body = validBody;
    final JsonObject base = baseline;

    // the path: bad ids, NUL, lone surrogates (as UTF-8 would carry them), SQL, long, traversal
    for (String name : path.keySet()) {
      for (String[] m : new String[][] {{"not an id", "not-an-id"}, {"NUL in id", path.get(name) + "%00"}, {"NUL", "%00"},
          {"lone surrogate", "%ED%A0%80"}, {"SQL", enc("' OR 1=1 --")}, {"script", enc("<script>alert(1)</script>")},
          {"long", "9".repeat(3_000)}, {"unknown id", UUID.randomUUID().toString()}, {"traversal", "..%2F..%2Fhealth"},
          {"nil uuid", "00000000-0000-0000-0000-000000000000"}, {"upper-case id", path.get(name).toUpperCase()}}) {
        Map<String, String> mutated = new LinkedHashMap<>(path);
        mutated.put(name, m[1]);
        cases.add(new Case("path " + name + ": " + m[0], url(op, mutated, query), headers, body));
      }
    }
    // the query: each declared parameter with values of the wrong kind, and unknown ones
    for (Param p : op.in("query")) {
      List<String[]> bad = new ArrayList<>(List.of(new String[] {"NUL", "a%00b"}, new String[] {"lone surrogate", "%ED%A0%80"},
          new String[] {"wrong type", "notanumber"}, new String[] {"huge number", "99999999999999999999999"},
          new String[] {"negative", "-1"}, new String[] {"SQL", enc("' OR 1=1 --")}, new String[] {"empty", ""},
          new String[] {"long", "x".repeat(3_000)}, new String[] {"bad id", "00000000-zzzz"},
          new String[] {"script", enc("<script>alert(1)</script>")}, new String[] {"float", "1.5"},
          new String[] {"encoded lone surrogate escape", enc("\\ud800")}));
      Collections.shuffle(bad, random);
      for (String[] m : bad.subList(0, Math.min(bad.size(), 8))) {
        Map<String, String> mutated = new LinkedHashMap<>(query);
        mutated.put(p.name(), m[1]);
        cases.add(new Case("query " + p.name() + ": " + m[0], url(op, path, mutated), headers, body));
      }
      Map<String, String> twice = new LinkedHashMap<>(query);
      twice.put(p.name(), "1&" + p.name() + "=2");
      cases.add(new Case("query " + p.name() + " twice", url(op, path, twice), headers, body));
    }
    Map<String, String> unknown = new LinkedHashMap<>(query);
    unknown.put("zz_unknown", "1");
    unknown.put("a%00", "%00");
    cases.add(new Case("unknown query parameters with NUL", url(op, path, unknown), headers, body));
    // headers the document declares
    for (Param p : op.in("header")) {
      for (String[] m : new String[][] {{"long", "k".repeat(4_000)}, {"SQL", "' OR 1=1 --"}, {"empty", ""}}) {
        Map<String, String> mutated = new LinkedHashMap<>(headers);
        mutated.put(p.name(), m[1]);
        cases.add(new Case("header " + p.name() + ": " + m[0], url(op, path, query), mutated, body));
      }
    }
    String target = url(op, path, query);
    Map<String, String> noAuth = new LinkedHashMap<>(headers);
    noAuth.remove("Authorization");
    noAuth.remove("apikey");
    cases.add(new Case("no credential", target, noAuth, body));
    Map<String, String> badAuth = new LinkedHashMap<>(headers);
    badAuth.put("Authorization", "Bearer ' OR 1=1 --");
    badAuth.remove("apikey");
    cases.add(new Case("SQL as credential", target, badAuth, body));

    if (op.json()) {
      cases.addAll(bodyCases(op, target, headers, base, random));
    } else if ("multipart/form-data".equals(op.bodyType())) {
      cases.addAll(MultipartCases.of(target, headers));
    } else {
      // no body expected: send one anyway
      Map<String, String> json = new LinkedHashMap<>(headers);
      json.put("Content-Type", "application/json");
      cases.add(new Case("unexpected body", target, json, Buffer.buffer("{\"a\":\"\\u0000\",\"b\":\"\\ud800\"}")));
      cases.add(new Case("unexpected malformed body", target, json, Buffer.buffer("{\"a\":")));
      Map<String, String> multipart = new LinkedHashMap<>(headers);
      multipart.put("Content-Type", "multipart/form-data");
      cases.add(new Case("multipart without boundary", target, multipart, Buffer.buffer("garbage")));
    }
    return cases;
  }

  private static List<Case> bodyCases(Operation op, String target, Map<String, String> headers, JsonObject base,
      Random random) {
    List<Case> cases = new ArrayList<>();
    // the whole body
    String[][] whole = {{"no body", null}, {"null body", "null"}, {"empty object", "{}"}, {"array body", "[]"},
        {"string body", "\"text\""}, {"number body", "1e400"}, {"truncated body", "{\"a\":"}, {"empty body", ""},
        {"NUL key", "{\"a\\u0000\":1}"}, {"lone surrogate key", "{\"\\ud800\":1}"},
        {"deeply nested body", "[".repeat(50_000) + "]".repeat(50_000)},
        {"deeply nested object", "{\"a\":".repeat(3_000) + "1" + "}".repeat(3_000)},
        {"body over the limit", "{\"a\":\"" + "x".repeat(1_100_000) + "\"}"},
        {"invalid UTF-8", null}, {"duplicate keys", base.isEmpty() ? "{\"a\":1,\"a\":2}" : dup(base)},
        {"unknown extra field", base.copy().put("zz_unknown", new JsonObject().put("x", 1)).encode()}};
    for (String[] w : whole) {
      Buffer buffer = w[0].equals("invalid UTF-8") ? Buffer.buffer(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3,
          (byte) 0x28, (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}) : w[1] == null ? null : Buffer.buffer(w[1]);
      cases.add(new Case("body: " + w[0], target, headers, buffer));
    }
    // the content type
    Buffer valid = Buffer.buffer(base.encode());
    for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", "application/xml",
        "multipart/form-data", "multipart/form-data; boundary=xyz", "application/json; charset=utf-16", null}) {
      Map<String, String> mutated = new LinkedHashMap<>(headers);
      if (type == null) {
        mutated.remove("Content-Type");
      } else {
        mutated.put("Content-Type", type);
      }
      cases.add(new Case("content type " + type, target, mutated, valid));
    }
    cases.add(MultipartCases.longPartHeader(target, headers));
    // each property: the first few mutations for every top-level one, then a seeded sample of all the others
    List<Case> sampled = new ArrayList<>();
    for (Property property : values.properties(op.bodySchema(), 3)) {
      List<Mutation> mutations = Mutation.forProperty(property, random);
      int fixed = property.path().size() == 1 ? 3 : 0;
      for (int i = 0; i < mutations.size(); i++) {
        Mutation m = mutations.get(i);
        JsonObject mutated = values.with(base, op.bodySchema(), property, m.placeholder(), m.remove());
        Case c = new Case("field " + property + ": " + m.name(), target, headers, Buffer.buffer(m.encode(mutated)));
        (i < fixed ? cases : sampled).add(c);
      }
    }
    Collections.shuffle(sampled, random);
    cases.addAll(sampled.subList(0, Math.min(SAMPLED, sampled.size())));
    return cases;
  }

  private static String dup(JsonObject base) {
    String first = base.fieldNames().iterator().next();
    return base.encode().replaceFirst("^\\{", "{\"" + first + "\":{\"x\":[1,2]},");
  }

  /**
   * The credential to fuzz with: the API key under {@code /functions/v1}; elsewhere the first of the admin, the API
   * key and the agent whose valid request is not refused for its role (only the assignee or a service may send in a
   * conversation), so the mutations get past the role checks into domain code. Deletions go as the admin, untried.
   */
  private static Map<String, String> auth(Operation op, String target, Buffer body) {
    if (op.platform()) {
      return Map.of("apikey", tenant.apiKey);
    }
    if (op.path().equals("/api/v1/auth/login")) {
      return Map.of();
    }
    List<String> credentials = List.of(tenant.adminToken, tenant.apiKey, tenant.agentToken);
    if (!op.method().equals("DELETE")) {
      for (String credential : credentials) {
        var request = app.http.request(HttpMethod.valueOf(op.method()), app.parley.httpPort(), "127.0.0.1", target)
            .timeout(10_000).putHeader("Authorization", "Bearer " + credential);
        var answer = body == null ? request.send().await()
            : request.putHeader("Content-Type", "application/json").sendBuffer(body).await();
        if (answer.statusCode() != 401 && answer.statusCode() != 403) {
          return Map.of("Authorization", "Bearer " + credential);
        }
      }
    }
    return Map.of("Authorization", "Bearer " + tenant.adminToken);
  }

  /** A real object for a path parameter; the channel a spare one, so that fuzzing it leaves the others working. */
  private static String pathValue(Operation op, String name) {
    if (op.path().contains("/channels/{" + name + "}")) {
      return tenant.ids.get("spare_channel");
    }
    if (name.equals("channel")) {
      return "whatsapp";
    }
    return tenant.pathValue(op.path(), name);
  }

  private static String url(Operation op, Map<String, String> path, Map<String, String> query) {
    String url = op.path();
    for (var e : path.entrySet()) {
      url = url.replace("{" + e.getKey() + "}", e.getValue());
    }
    if (query.isEmpty()) {
      return url;
    }
    StringBuilder out = new StringBuilder(url).append('?');
    query.forEach((k, v) -> out.append(k).append('=').append(v).append('&'));
    return out.substring(0, out.length() - 1);
  }

  static String enc(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static JsonArray array(int size, Object item) {
    JsonArray array = new JsonArray();
    for (int i = 0; i < size; i++) {
      array.add(item);
    }
    return array;
  }
}

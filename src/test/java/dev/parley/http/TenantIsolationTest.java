package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.http.OpenApiOperations.Operation;
import dev.parley.http.OpenApiOperations.Param;
import dev.parley.http.SchemaValues.Property;
import dev.parley.testing.TestApp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two organizations with one of everything ({@link Tenant}); organization B's admin, agent and API key call every
 * operation of {@code /openapi.json} with organization A's ids: in the path, in body fields and in list filters.
 * No answer may show any of A's ids or texts, A's rows and events must not change, and a foreign id must answer
 * exactly what an id that does not exist answers: 404 for a caller allowed to call the operation (a 403 only where
 * the caller's role is refused whatever the id), never a success that an unknown id does not get. Every failing
 * cell is reported at once.
 */
@Tag("e2e")
class TenantIsolationTest {
  private static TestApp app;
  private static Tenant a;
  private static Tenant b;
  private static OpenApiOperations doc;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    a = Tenant.demo(app, "447700900201");
    b = Tenant.create(app, "610000000000061", "447700900202");
    doc = new OpenApiOperations(app.get("/openapi.json").bodyAsJsonObject());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** A caller of organization B. */
  record Caller(String name, String credential) {}

  /** One answer, with what was asked. */
  record Answer(String request, int status, String code, String body) {
    String shortly() {
      return status + " " + body.substring(0, Math.min(body.length(), 300));
    }
  }

  private static List<Caller> callers() {
    return List.of(new Caller("B admin", b.adminToken), new Caller("B agent", b.agentToken),
        new Caller("B API key", b.apiKey));
  }

  @Test
  void organizationBSeesAndChangesNothingOfOrganizationA() {
    Map<String, String> before = settled(a);
    int eventsBefore = eventsOf(a);
    List<String> failures = new ArrayList<>();
    int cells = 0;
    List<Operation> operations = doc.rest();
    operations.removeIf(op -> op.path().equals("/api/v1/auth/login")); // no credential, no organization
    // lists first: a body-id cell B's answer accepts stores A's id in B's own rows, which B may then list
    for (Operation op : operations) {
      if (op.method().equals("GET") && op.in("path").isEmpty()) {
        for (Caller caller : callers()) {
          cells += filters(op, caller, failures);
        }
      }
    }
    for (Operation op : operations) {
      if (op.in("path").stream().anyMatch(p -> !p.name().equals("label"))) {
        List<String> unknown = new ArrayList<>();
        for (Caller caller : callers()) {
          cells++;
          Answer none = foreignPath(op, caller, failures);
          if (none.status() != 404) {
            unknown.add(caller.name() + ": " + none.shortly());
          }
        }
        if (unknown.size() == callers().size()) {
          failures.add(op + ": no caller of B reached the id lookup with an unknown id, so its cells test nothing: "
              + unknown);
        }
      }
    }
    for (Operation op : operations) {
      if (op.json()) {
        for (Caller caller : callers()) {
          cells += foreignBodyIds(op, caller, failures);
        }
      }
    }
    System.out.println("TenantIsolationTest: " + operations.size() + " operations, " + cells + " cells");
    assertTrue(cells > 200, "the matrix has cells: " + cells);
    Map<String, String> after = snapshot(a);
    for (String key : before.keySet()) {
      if (!before.get(key).equals(after.get(key))) {
        failures.add("organization A's " + key + " changed: before " + before.get(key) + ", after " + after.get(key));
      }
    }
    if (eventsOf(a) != eventsBefore) {
      failures.add("organization A got " + (eventsOf(a) - eventsBefore) + " events during B's calls");
    }
    assertTrue(failures.isEmpty(), failures.size() + " of " + cells + " cells failed:\n" + String.join("\n", failures));
  }

  /** A's ids in the path: the same answer as unknown ids, 404 where the caller may call the operation at all. */
  private static Answer foreignPath(Operation op, Caller caller, List<String> failures) {
    Map<String, String> foreign = new LinkedHashMap<>();
    Map<String, String> unknown = new LinkedHashMap<>();
    for (Param p : op.in("path")) {
      String value = a.pathValue(op.path(), p.name());
      foreign.put(p.name(), value == null ? UUID.randomUUID().toString() : value);
      unknown.put(p.name(), p.name().equals("label") ? value : UUID.randomUUID().toString());
    }
    JsonObject body = op.json() ? validBody(op, b) : null;
    Answer theirs = call(op, caller, url(op, foreign, Map.of()), body);
    Answer none = call(op, caller, url(op, unknown, Map.of()), body);
    String where = op + " as " + caller.name() + " with A's ids in the path";
    judge(where, theirs, none, failures);
    return none;
  }

  /** Lists and searches: unfiltered, and filtered by each of A's ids and texts the operation's parameters name. */
  private static int filters(Operation op, Caller caller, List<String> failures) {
    int cells = 0;
    List<Map<String, String>> queries = new ArrayList<>();
    queries.add(Map.of());
    for (Param p : op.in("query")) {
      String value = switch (p.name()) {
        case "q" -> a.marker;
        case "label" -> "lbl-" + a.marker;
        case "name" -> "tpl_" + a.marker.toLowerCase();
        default -> a.idFor(p.name());
      };
      if (value != null) {
        queries.add(Map.of(p.name(), value));
      }
    }
    for (Map<String, String> query : queries) {
      cells++;
      Answer answer = call(op, caller, url(op, Map.of(), query), null);
      String where = op + " as " + caller.name() + " filtered by " + query;
      if (answer.status() >= 500) {
        failures.add(where + ": server error " + answer.shortly());
      }
      leak(where, answer, failures);
    }
    return cells;
  }

  /**
   * B's own objects in the path, one of A's ids in a body field: the same answer as an unknown id (a field that is
   * only checked later, at send time, may accept both alike).
   */
  private static int foreignBodyIds(Operation op, Caller caller, List<String> failures) {
    int cells = 0;
    SchemaValues values = new SchemaValues(doc, b::idFor);
    Map<String, String> own = new LinkedHashMap<>();
    for (Param p : op.in("path")) {
      String value = ownPath(op, p.name());
      own.put(p.name(), value == null ? UUID.randomUUID().toString() : value);
    }
    JsonObject base = validBody(op, b);
    for (Property property : values.properties(op.bodySchema(), 3)) {
      String foreignId = a.idFor(property.name());
      if (foreignId == null) {
        continue;
      }
      cells++;
      // the one id under test: optional top-level ids beside it go ("give either conversation_id or contact_id")
      JsonObject alone = base.copy();
      for (Property other : values.properties(op.bodySchema(), 1)) {
        if (!other.required() && !other.path().equals(property.path()) && b.idFor(other.name()) != null) {
          alone.remove(other.name());
        }
      }
      JsonObject theirs = values.with(alone, op.bodySchema(), property, foreignId, false);
      JsonObject none = values.with(alone, op.bodySchema(), property, UUID.randomUUID().toString(), false);
      Answer foreign = call(op, caller, url(op, own, Map.of()), theirs);
      Answer unknown = call(op, caller, url(op, own, Map.of()), none);
      String where = op + " as " + caller.name() + " with A's id in " + property;
      judge(where, foreign, unknown, failures);
    }
    return cells;
  }

  private static String ownPath(Operation op, String name) {
    if (name.equals("channel")) {
      return b.ids.get("channel");
    }
    return b.pathValue(op.path(), name);
  }

  private static void judge(String where, Answer foreign, Answer unknown, List<String> failures) {
    if (foreign.status() >= 500 || unknown.status() >= 500) {
      failures.add(where + ": server error, foreign " + foreign.shortly() + ", unknown " + unknown.shortly());
    } else if (foreign.status() < 400 && unknown.status() >= 400) {
      failures.add(where + ": accepted, an unknown id refused: " + foreign.shortly());
    } else if (foreign.status() != unknown.status() || !String.valueOf(foreign.code()).equals(String.valueOf(unknown.code()))) {
      failures.add(where + ": answers differently from an unknown id: foreign " + foreign.shortly() + ", unknown "
          + unknown.shortly());
    } else if (foreign.status() == 403 && "forbidden".equals(foreign.code()) && unknown.status() != 403) {
      failures.add(where + ": 403 for a foreign id " + foreign.shortly());
    }
    leak(where, foreign, failures);
  }

  /** None of A's ids or texts in the answer, except what the request itself sent. */
  private static void leak(String where, Answer answer, List<String> failures) {
    for (String secret : a.secrets()) {
      if (answer.body().contains(secret) && !answer.request().contains(secret)) {
        failures.add(where + ": the answer shows A's " + secret + ": " + answer.shortly());
        return;
      }
    }
  }

  private static JsonObject validBody(Operation op, Tenant tenant) {
    Object made = new SchemaValues(doc, tenant::idFor).valid(op.bodySchema(), null);
    return made instanceof JsonObject o ? o : new JsonObject();
  }

  private static Answer call(Operation op, Caller caller, String pathAndQuery, JsonObject body) {
    var request = app.http.request(HttpMethod.valueOf(op.method()), app.parley.httpPort(), "127.0.0.1", pathAndQuery)
        .timeout(30_000).putHeader("Authorization", "Bearer " + caller.credential());
    HttpResponse<Buffer> response = body == null ? request.send().await() : request.sendJsonObject(body).await();
    String text = response.bodyAsString() == null ? "" : response.bodyAsString();
    String code = null;
    try {
      code = new JsonObject(text).getJsonObject("error").getString("code");
    } catch (RuntimeException notAnError) {
      // a success, or a stream (the export)
    }
    return new Answer(op.method() + " " + pathAndQuery + " " + (body == null ? "" : body.encode()),
        response.statusCode(), code, text);
  }

  private static String url(Operation op, Map<String, String> path, Map<String, String> query) {
    String url = op.path();
    for (var e : path.entrySet()) {
      url = url.replace("{" + e.getKey() + "}", RestFuzzTest.enc(e.getValue()));
    }
    StringBuilder out = new StringBuilder(url);
    char separator = '?';
    for (var e : query.entrySet()) {
      out.append(separator).append(e.getKey()).append('=').append(RestFuzzTest.enc(e.getValue()));
      separator = '&';
    }
    return out.toString();
  }

  private static int eventsOf(Tenant tenant) {
    return (int) app.events.stream().filter(e -> tenant.organization.equals(e.organizationId())).count();
  }

  /** A's snapshot once start-up work (the first template sync, channel activity) has stopped changing it. */
  private static Map<String, String> settled(Tenant tenant) {
    Map<String, String> previous = snapshot(tenant);
    for (int i = 0; i < 20; i++) {
      TestApp.sleep(250);
      Map<String, String> current = snapshot(tenant);
      if (current.equals(previous)) {
        return current;
      }
      previous = current;
    }
    throw new AssertionError("organization A's rows keep changing on their own: " + previous);
  }

  /**
   * Organization A as stored: a digest of every row that is A's ({@code organization_id}) or names one of A's ids (a
   * row of B pointing at A's objects counts as a change to A), and A's conversation list as its admin sees it
   * (unread counts and states live partly in Redis).
   */
  private static Map<String, String> snapshot(Tenant tenant) {
    Map<String, String> out = new LinkedHashMap<>();
    String ids = String.join("|", tenant.ids.values());
    for (var table : app.sql("SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c "
        + "WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.column_name = 'organization_id') "
        + "FROM information_schema.tables t WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        + "ORDER BY 1")) {
      String name = table.getString(0);
      String digest = "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"" + name
          + "\" t WHERE t::text ~ $1";
      var row = table.getBoolean(1)
          ? app.one(digest + " OR organization_id = $2", ids, tenant.organization)
          : app.one(digest, ids);
      out.put(name, row.getLong(0) + " rows, digest " + row.getString(1));
    }
    var list = app.api(HttpMethod.GET, "/api/v1/conversations?limit=100", null, tenant.adminToken);
    assertEquals(200, list.statusCode(), list.bodyAsString());
    out.put("conversation list", list.bodyAsString());
    return out;
  }
}

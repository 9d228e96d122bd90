package dev.parley.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@code /openapi.json} describes exactly the operations the server mounts, each with its error answers. */
@Tag("e2e")
class OpenApiTest {
  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
  private static TestApp app;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  @Test
  void theDocumentListsEveryMountedOperationAndNoOther() {
    var response = app.get("/openapi.json");
    assertEquals(200, response.statusCode());
    JsonObject doc = response.bodyAsJsonObject();
    assertEquals("3.1.0", doc.getString("openapi"));

    Set<String> documented = new TreeSet<>();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      if (path.startsWith("/api/v1/") || path.startsWith("/rest/v1/") || path.startsWith("/functions/v1/")
          || path.equals("/ws")) {
        for (String method : paths.getJsonObject(path).fieldNames()) {
          if (METHODS.contains(method)) {
            documented.add(method.toUpperCase() + " " + path);
          }
        }
      }
    }
    assertEquals(new TreeSet<>(app.parley.apiOperations()), documented,
        "routes and /openapi.json must change together");
  }

  @Test
  void everyOperationDescribesItsAnswersAndErrorsUseTheOneShape() {
    JsonObject doc = app.get("/openapi.json").bodyAsJsonObject();
    JsonObject paths = doc.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (!METHODS.contains(method)) {
          continue;
        }
        JsonObject responses = item.getJsonObject(method).getJsonObject("responses");
        assertNotNull(responses, method + " " + path);
        assertTrue(responses.fieldNames().stream().anyMatch(code -> code.startsWith("2") || code.equals("101")),
            method + " " + path + " has no success answer");
      }
    }
    JsonObject error = doc.getJsonObject("components").getJsonObject("schemas").getJsonObject("Error");
    assertEquals("code", error.getJsonObject("properties").getJsonObject("error").getJsonArray("required").getString(0));
    assertTrue(paths.getJsonObject("/api/v1/auth/login").getJsonObject("post").getJsonArray("security").isEmpty(),
        "sign-in needs no credential");
  }
}

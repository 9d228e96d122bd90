package dev.parley.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import dev.parley.testing.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of what the push hub and sign-in take from the network: random client frames never break a
 * socket (only an oversized frame closes it, with 1009), and random sign-in bodies are answered 4xx, never 5xx.
 * Seed and size: {@code -Dfuzz.seed=… -Dfuzz.cases=…}.
 */
@Tag("e2e")
class PushFuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", 20261121L);
  private static final int CASES = Integer.getInteger("fuzz.cases", 400);
  private static final List<String> TYPES = List.of("resume", "view", "typing", "ping", "", "event", "RESUME", "pong");
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
  void randomClientFramesNeverBreakTheSocket() {
    Random random = new Random(SEED);
    String token = app.adminToken();
    WsClient ws = app.ws(token, null);
    try {
      assertEquals("ready", ws.next(Duration.ofSeconds(10)).getString("type"));
      for (int i = 0; i < CASES; i++) {
        if (random.nextInt(20) == 0) {
          ws.socket.writeBinaryMessage(Buffer.buffer(bytes(random, random.nextInt(64)))).await();
        } else {
          ws.socket.writeTextMessage(frame(random)).await();
        }
        if (i % 50 == 49) {
          assertAlive(ws, "after case " + i + " (seed " + SEED + ")");
        }
      }
      assertAlive(ws, "at the end (seed " + SEED + ")");
      assertFalse(ws.isClosed());
      ws.socket.writeTextMessage("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
      assertEquals(1009, ws.awaitClose(Duration.ofSeconds(10)), "an oversized frame closes with 1009 (too big)");
    } finally {
      ws.close();
    }
    try (WsClient again = app.ws(token, null)) {
      assertEquals("ready", again.next(Duration.ofSeconds(10)).getString("type"), "the hub still serves");
    }
  }

  private static void assertAlive(WsClient ws, String when) {
    ws.send(new JsonObject().put("type", "ping").put("id", "alive"));
    JsonObject pong = ws.await(Duration.ofSeconds(10), f -> "pong".equals(f.getString("type")) && "alive".equals(f.getString("id")));
    assertNotNull(pong, when);
  }

  private static String frame(Random random) {
    switch (random.nextInt(6)) {
      case 0:
        return new String(bytes(random, random.nextInt(200)), java.nio.charset.StandardCharsets.ISO_8859_1);
      case 1:
        return random.nextBoolean() ? "[]" : random.nextBoolean() ? "null" : "42";
      default:
        JsonObject frame = new JsonObject();
        if (random.nextInt(10) > 0) {
          frame.put("type", TYPES.get(random.nextInt(TYPES.size())));
        }
        for (String field : List.of("since", "view", "conversation_id", "typing", "id")) {
          if (random.nextBoolean()) {
            frame.put(field, value(random));
          }
        }
        String text = frame.encode();
        // now and then, a truncated frame
        return random.nextInt(8) == 0 && text.length() > 2 ? text.substring(0, random.nextInt(text.length())) : text;
    }
  }

  private static Object value(Random random) {
    switch (random.nextInt(10)) {
      case 0: return random.nextLong();
      case 1: return -random.nextInt(1000);
      case 2: return random.nextDouble() * 1e18;
      case 3: return "x".repeat(random.nextInt(300));
      case 4: return java.util.UUID.randomUUID().toString();
      case 5: return random.nextBoolean();
      case 6: return new JsonArray().add(1).add("a");
      case 7: return new JsonObject().put("nested", random.nextInt());
      case 8: return "chats";
      default: return null;
    }
  }

  private static byte[] bytes(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  @Test
  void randomSignInBodiesAreRefusedCleanly() {
    Random random = new Random(SEED + 1);
    Set<Integer> allowed = Set.of(400, 401, 403, 413, 429);
    for (int i = 0; i < CASES / 4; i++) {
      Buffer body;
      switch (random.nextInt(4)) {
        case 0 -> body = Buffer.buffer(bytes(random, random.nextInt(300)));
        case 1 -> body = Buffer.buffer(new JsonObject().put("email", value(random)).put("password", value(random)).encode());
        case 2 -> body = Buffer.buffer(new JsonArray().add(value(random)).encode());
        default -> {
          String text = new JsonObject().put("email", "fuzz" + i + "@parley.local").put("password", "p" + i).encode();
          body = Buffer.buffer(text.substring(0, random.nextInt(text.length() + 1)));
        }
      }
      var response = app.post("/api/v1/auth/login", body, null);
      assertTrue(allowed.contains(response.statusCode()),
          "case " + i + " (seed " + SEED + ") answered " + response.statusCode() + ": " + response.bodyAsString());
      assertNotNull(response.bodyAsJsonObject().getJsonObject("error").getString("code"));
    }
  }
}

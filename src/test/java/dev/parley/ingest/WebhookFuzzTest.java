package dev.parley.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throws malformed, truncated and type-confused bodies, correctly signed so they reach the parser, at the webhook
 * endpoint. Only 2xx or 4xx may come back (never 5xx: the store is up), and the server keeps serving.
 * Seeded, so a failure replays: the seed and the failing body are in the assertion message.
 */
@Tag("e2e")
class WebhookFuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", 20261121L);
  private static final int CASES = Integer.getInteger("fuzz.cases", 400);
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
  void signedGarbageGetsOnly2xxOr4xxAndTheServerKeepsServing() {
    Random random = new Random(SEED);
    List<String> seeds = new ArrayList<>();
    for (String name : Fixtures.payloads("whatsapp")) {
      seeds.add(Fixtures.read("whatsapp", name).replace("106540352242922", TestApp.PHONE_NUMBER_ID));
    }
    for (int i = 0; i < CASES; i++) {
      String body = mutate(seeds.get(random.nextInt(seeds.size())), random);
      var response = app.postSigned(body);
      int status = response.statusCode();
      assertTrue(status == 200 || status == 400 || status == 413,
          "seed " + SEED + " case " + i + " answered " + status + " " + response.bodyAsString() + " for: "
              + body.substring(0, Math.min(body.length(), 2_000)));
    }
    String valid = WhatsAppPayloads.text("14155550501", "After", "wamid.after-fuzz", Instant.now(), "still alive");
    assertEquals(200, app.postSigned(valid).statusCode());
    assertEquals(200, app.get("/health/ready").statusCode());
  }

  @Test
  void unsignedGarbageIsRefusedBeforeParsing() {
    Random random = new Random(SEED + 1);
    for (int i = 0; i < 50; i++) {
      byte[] bytes = new byte[random.nextInt(2_000)];
      random.nextBytes(bytes);
      assertEquals(401, app.post(app.webhookPath(), Buffer.buffer(bytes), null).statusCode());
    }
  }

  private static String mutate(String json, Random random) {
    switch (random.nextInt(6)) {
      case 0: // truncated
        return json.substring(0, random.nextInt(json.length()));
      case 1: { // bytes flipped
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        for (int k = 0; k < 1 + random.nextInt(8); k++) {
          bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
      }
      case 2: { // random characters inserted
        StringBuilder out = new StringBuilder(json);
        String alphabet = "{}[]\",:\\0123456789eE-+.truefalsnul \u00e9\u0000";
        for (int k = 0; k < 1 + random.nextInt(6); k++) {
          out.insert(random.nextInt(out.length()), alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
      }
      default: { // a value somewhere replaced by one of another type or an extreme one
        Object tree = new JsonObject(json);
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
          replaceSomewhere(tree, random);
        }
        return ((JsonObject) tree).encode();
      }
    }
  }

  private static final Object[] ODD_VALUES = {null, 0, -1, Long.MAX_VALUE, 1e308, "", "x".repeat(5_000), true,
      new JsonArray(), new JsonObject(), "99999999999999", "-5", "\u0000", new JsonArray().add(new JsonArray()),
      "wamid." + "A".repeat(300), "\ud83d\ude2e"};

  /** A fresh copy each time, so a container is never inserted into itself. */
  private static Object odd(Random random) {
    Object value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
    return value instanceof JsonObject o ? o.copy() : value instanceof JsonArray a ? a.copy() : value;
  }

  private static void replaceSomewhere(Object node, Random random) {
    if (node instanceof JsonObject object && !object.isEmpty()) {
      List<String> keys = new ArrayList<>(object.fieldNames());
      String key = keys.get(random.nextInt(keys.size()));
      Object child = object.getValue(key);
      if ((child instanceof JsonObject || child instanceof JsonArray) && random.nextInt(4) != 0) {
        replaceSomewhere(child, random);
      } else {
        object.put(key, odd(random));
      }
    } else if (node instanceof JsonArray array && !array.isEmpty()) {
      int index = random.nextInt(array.size());
      Object child = array.getValue(index);
      if ((child instanceof JsonObject || child instanceof JsonArray) && random.nextInt(4) != 0) {
        replaceSomewhere(child, random);
      } else {
        array.set(index, odd(random));
      }
    }
  }
}

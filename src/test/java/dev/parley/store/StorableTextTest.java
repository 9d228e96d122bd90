package dev.parley.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** What PostgreSQL cannot store, found wherever it is in a decoded body and named by its path. */
class StorableTextTest {
  @Test
  void nulAndLoneSurrogatesAreFoundAndPairsAreNot() {
    assertNull(StorableText.problem("Zoë 👍 مرحبا \t\n"), "ordinary text, emoji (a surrogate pair) and controls PostgreSQL takes");
    assertEquals("a NUL character", StorableText.problem("a\u0000b"));
    assertEquals("a lone surrogate", StorableText.problem("x\ud83d"), "a high surrogate at the end");
    assertEquals("a lone surrogate", StorableText.problem("\ud83dx"), "a high surrogate before a non-surrogate");
    assertEquals("a lone surrogate", StorableText.problem("x\udc4dy"), "a low surrogate alone");
    assertEquals("a lone surrogate", StorableText.problem("\udc4d\ud83d"), "a pair in the wrong order");
  }

  @Test
  void theFirstUnstorableTextIsNamedByItsPath() {
    JsonObject body = new JsonObject()
        .put("text", new JsonObject().put("body", "fine"))
        .put("labels", new JsonArray().add("ok").add("bad\u0000"));
    var found = StorableText.find(body, "");
    assertEquals("labels[1]", found.field());
    assertEquals("labels[1] contains a NUL character, which cannot be stored", found.message());
    assertEquals("text.body", StorableText.find(new JsonObject().put("text", new JsonObject().put("body", "\ud800")), "")
        .field());
    assertEquals("a field name in custom", StorableText.find(new JsonObject()
        .put("custom", new JsonObject().put("k\u0000", 1)), "").field(), "keys are text too, and never echoed");
    assertNull(StorableText.find(new JsonObject().put("n", 1).put("b", true).putNull("x"), ""));
  }
}

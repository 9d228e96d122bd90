package dev.parley.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What a client may send on its socket, and the error every other frame gets. */
class ClientFrameTest {
  private static final UUID CONVERSATION = UUID.fromString("6f1b3a4e-0d2c-4b7a-9a51-2f0c8e7d1b23");

  @Test
  void theFourFramesAClientSends() {
    assertEquals(new ClientFrame.Resume(42), ClientFrame.parse("{\"type\":\"resume\",\"since\":42}"));
    assertEquals(new ClientFrame.Ping(true, "p1"), ClientFrame.parse("{\"type\":\"ping\",\"id\":\"p1\"}"));
    assertEquals(new ClientFrame.Ping(true, null), ClientFrame.parse("{\"type\":\"ping\",\"id\":null}"));
    assertEquals(new ClientFrame.Ping(false, null), ClientFrame.parse("{\"type\":\"ping\"}"));
    assertEquals(new ClientFrame.View("chats", null), ClientFrame.parse("{\"type\":\"view\",\"view\":\"chats\"}"));
    assertEquals(new ClientFrame.View("conversation", CONVERSATION), ClientFrame.parse(
        "{\"type\":\"view\",\"view\":\"conversation\",\"conversation_id\":\"" + CONVERSATION + "\"}"));
    assertEquals(new ClientFrame.Typing(CONVERSATION, true),
        ClientFrame.parse("{\"type\":\"typing\",\"conversation_id\":\"" + CONVERSATION + "\"}"));
    assertEquals(new ClientFrame.Typing(CONVERSATION, false),
        ClientFrame.parse("{\"type\":\"typing\",\"conversation_id\":\"" + CONVERSATION + "\",\"typing\":false}"));
  }

  @Test
  void everythingElseIsAnErrorThatSaysWhy() {
    assertInvalid("bad_frame", ClientFrame.parse("not json"), false);
    assertInvalid("bad_frame", ClientFrame.parse("[1,2]"), false);
    // a bad resume is still a resume attempt: the socket keeps holding its live frames
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"resume\",\"since\":-1}"), false);
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"resume\",\"since\":1.5}"), false);
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"resume\"}"), false);
    // any other JSON frame means the client is not resuming
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"view\",\"view\":\"\"}"), true);
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"view\",\"view\":\"" + "v".repeat(65) + "\"}"), true);
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"view\",\"view\":\"chats\",\"conversation_id\":\"x\"}"),
        true);
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"typing\"}"), true);
    assertInvalid("bad_frame", ClientFrame.parse("{\"type\":\"typing\",\"conversation_id\":\"" + CONVERSATION
        + "\",\"typing\":\"yes\"}"), true);
    assertInvalid("unknown_frame_type", ClientFrame.parse("{\"type\":\"subscribe\"}"), true);
    assertInvalid("unknown_frame_type", ClientFrame.parse("{}"), true);
  }

  private static void assertInvalid(String code, ClientFrame frame, boolean declares) {
    assertTrue(frame instanceof ClientFrame.Invalid, frame::toString);
    var invalid = (ClientFrame.Invalid) frame;
    assertEquals(code, invalid.code());
    assertFalse(invalid.message().isBlank());
    assertEquals(declares, invalid.declares(), frame::toString);
  }
}

package dev.parley.push;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A frame a client sent on its WebSocket, parsed and checked: what the shard acts on, or the error it answers
 * ({@code bad_frame}, {@code unknown_frame_type}) and nothing else.
 */
sealed interface ClientFrame {
  /** Replay everything after {@code since}, then go live. */
  record Resume(long since) implements ClientFrame {}

  /** A heartbeat; when the frame had an {@code id} (any JSON value, null too), the pong echoes it. */
  record Ping(boolean hasId, Object id) implements ClientFrame {}

  /** The screen the client shows, for frames targeted at a view; {@code conversationId} may be null. */
  record View(String name, UUID conversationId) implements ClientFrame {}

  /** The user is typing (or stopped) in a conversation. */
  record Typing(UUID conversationId, boolean typing) implements ClientFrame {}

  /**
   * Not a frame the server takes: answered with an {@code error} frame. {@code type} is the frame's type as text,
   * null when the frame was not a JSON object.
   */
  record Invalid(String code, String message, String type) implements ClientFrame {
    /** A JSON frame other than a resume: the client is not resuming, whatever else was wrong with it. */
    boolean declares() {
      return type != null && !"resume".equals(type);
    }
  }

  static ClientFrame parse(String text) {
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return new Invalid("bad_frame", "frames are JSON objects with a type", null);
    }
    String type = String.valueOf(frame.getValue("type"));
    if ("resume".equals(type)) {
      Object since = frame.getValue("since");
      if (!(since instanceof Number number) || number.longValue() < 0 || number.doubleValue() != number.longValue()) {
        return new Invalid("bad_frame", "resume needs since: the last sequence number received (0 or more)",
            type);
      }
      return new Resume(number.longValue());
    }
    if ("ping".equals(type)) {
      return new Ping(frame.containsKey("id"), frame.getValue("id"));
    }
    if ("view".equals(type)) {
      Object view = frame.getValue("view");
      if (!(view instanceof String name) || name.isBlank() || name.length() > 64) {
        return new Invalid("bad_frame", "view needs view: the screen's name, such as chats", type);
      }
      UUID conversation = uuid(frame.getValue("conversation_id"));
      if (frame.getValue("conversation_id") != null && conversation == null) {
        return new Invalid("bad_frame", "conversation_id must be a UUID", type);
      }
      return new View(name, conversation);
    }
    if ("typing".equals(type)) {
      UUID conversation = uuid(frame.getValue("conversation_id"));
      Object typing = frame.getValue("typing", Boolean.TRUE);
      if (conversation == null || !(typing instanceof Boolean on)) {
        return new Invalid("bad_frame", "typing needs conversation_id (a UUID) and optionally typing (true or false)",
            type);
      }
      return new Typing(conversation, on);
    }
    return new Invalid("unknown_frame_type", "frame types are resume, view, typing and ping", type);
  }

  private static UUID uuid(Object value) {
    if (!(value instanceof String text)) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

package dev.parley.conversation;

import java.util.Map;

/**
 * The status machine of messages the business sends: {@code pending < sent < delivered < read < played}, with
 * {@code failed} reachable only before delivery. A status only replaces an earlier one, so a late or repeated
 * webhook never moves a message backwards ({@code read} never becomes {@code sent}); {@code read} may skip
 * {@code delivered}, which WhatsApp does not always send.
 */
public final class MessageStatus {
  private static final String[] NONE = new String[0];
  private static final Map<String, String[]> REPLACEABLE = Map.of(
      "sent", new String[] {"pending"},
      "delivered", new String[] {"pending", "sent"},
      "read", new String[] {"pending", "sent", "delivered"},
      "played", new String[] {"pending", "sent", "delivered", "read"},
      "failed", new String[] {"pending", "sent"});

  private MessageStatus() {}

  /** The statuses that {@code next} may replace (empty for an unknown status). */
  public static String[] replaceableBy(String next) {
    return REPLACEABLE.getOrDefault(next, NONE).clone();
  }
}

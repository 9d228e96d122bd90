package dev.parley.ops;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The log pattern's {@code %safeMsg}: the formatted message with every character that could forge or hide a log
 * line written as an escape. Values from payloads (routing keys, statuses, names) reach log messages; a CR or LF in
 * one would start a fake line, an ANSI escape would repaint the operator's terminal, and a bidirectional control
 * (Trojan Source) would show the line in another order than it was written. Escaped: C0 controls (as {@code \n},
 * {@code \r}, {@code \t} or {@code \\u001b}), DEL and C1 controls, the bidirectional marks, embeddings, overrides
 * and isolates, and the line and paragraph separators.
 */
public final class EscapedMessage extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return escape(super.convert(event));
  }

  /** {@code text} with its control and bidirectional characters escaped; the same string when it has none. */
  public static String escape(String text) {
    if (text == null) {
      return null;
    }
    int first = firstToEscape(text);
    if (first < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (mustEscape(c)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.toString();
  }

  private static int firstToEscape(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (mustEscape(text.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean mustEscape(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) // C0, DEL, C1
        || c == 0x061c || c == 0x200e || c == 0x200f // Arabic letter mark, left-to-right and right-to-left marks
        || (c >= 0x202a && c <= 0x202e) // embeddings and overrides
        || (c >= 0x2066 && c <= 0x2069) // isolates
        || c == 0x2028 || c == 0x2029; // line and paragraph separators
  }
}

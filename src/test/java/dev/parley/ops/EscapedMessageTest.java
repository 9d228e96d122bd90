package dev.parley.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Log messages carry values from payloads; what could forge or hide a line is written escaped. */
class EscapedMessageTest {
  @Test
  void controlAndBidirectionalCharactersAreEscaped() {
    assertEquals("a\\nb\\r\\tc", EscapedMessage.escape("a\nb\r\tc"));
    assertEquals("\\u001b[31mred", EscapedMessage.escape("\u001b[31mred"));
    assertEquals("x\\u202ey\\u2066z\\u200f", EscapedMessage.escape("x\u202ey\u2066z\u200f"));
    assertEquals("\\u0000\\u007f\\u0085\\u2028", EscapedMessage.escape("\u0000\u007f\u0085\u2028"));
    String plain = "Zoë 👍 +447700900123 مرحبا";
    assertSame(plain, EscapedMessage.escape(plain), "ordinary text, any script, is kept as it is");
  }

  @Test
  void theConverterEscapesTheFormattedMessageWithItsArguments() {
    Logger logger = new LoggerContext().getLogger("test");
    var event = new LoggingEvent("test", logger, Level.WARN, "skipping account {}", null,
        new Object[] {"106\n12:00:00.000 INFO  forged line\u202e"});
    String line = new EscapedMessage().convert(event);
    assertEquals("skipping account 106\\n12:00:00.000 INFO  forged line\\u202e", line);
    assertFalse(line.contains("\n"));
  }

  @Test
  void everyLogConfigurationWritesMessagesThroughIt() throws IOException {
    for (String name : new String[] {"/logback.xml", "/logback-test.xml"}) {
      try (InputStream in = EscapedMessageTest.class.getResourceAsStream(name)) {
        String config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(config.contains("converterClass=\"dev.parley.ops.EscapedMessage\""), name);
        assertFalse(config.matches("(?s).*%(msg|m|message)\\b.*"), name + " writes an unescaped message");
      }
    }
  }
}

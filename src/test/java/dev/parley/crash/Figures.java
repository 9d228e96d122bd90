package dev.parley.crash;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The figures a crash test measured: one log line, and {@code target/faults/<name>.json} for the docs to quote. */
final class Figures {
  private static final Logger log = LoggerFactory.getLogger(Figures.class);

  private Figures() {}

  static void record(String name, JsonObject figures) throws IOException {
    Path dir = Path.of("target", "faults");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(name + ".json"), figures.encodePrettily() + "\n");
    log.info("crash figures {}: {}", name, figures.encode());
    System.out.println("crash figures " + name + ": " + figures.encode());
  }

  static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }
}

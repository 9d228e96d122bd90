package dev.parley.testing;

import dev.parley.provider.HubSignature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Reads fixture files from {@code src/test/resources/fixtures} and signs bodies like Meta does. */
public final class Fixtures {
  public static final Path ROOT = Path.of("src/test/resources/fixtures");

  private Fixtures() {}

  public static String read(String provider, String name) {
    try {
      return Files.readString(ROOT.resolve(provider).resolve(name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The payload fixtures of a provider (every {@code *.json} that is not an {@code *.expected.json}). */
  public static List<String> payloads(String provider) {
    try (Stream<Path> files = Files.list(ROOT.resolve(provider))) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".json") && !n.endsWith(".expected.json"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static String sign(String body, String secret) {
    return HubSignature.sign(body.getBytes(StandardCharsets.UTF_8), secret);
  }
}

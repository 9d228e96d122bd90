package dev.parley.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.parley.testing.Fixtures;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * What every {@link Provider} must do, checked against its fixtures in
 * {@code src/test/resources/fixtures/<provider>/}: each {@code name.json} parses to the canonical events in
 * {@code name.expected.json}; signatures are checked on the raw bytes; anything that is not the provider's
 * format fails with {@link MalformedPayload} and nothing else. Extend it once per provider.
 *
 * <p>To write the expected file of a new fixture, run once with {@code -Dfixtures.write=true} and review it.
 */
public abstract class ProviderContractTest {

  protected abstract Provider provider();

  /** Credentials of a channel for this provider. */
  protected abstract ChannelSecrets secrets();

  /** Headers that authenticate {@code body} for {@link #secrets()}. */
  protected abstract MultiMap signedHeaders(byte[] body);

  @TestFactory
  Stream<DynamicTest> everyFixtureParsesToItsCanonicalEvents() {
    List<String> fixtures = Fixtures.payloads(provider().name());
    assertFalse(fixtures.isEmpty(), "no fixtures for " + provider().name());
    return fixtures.stream().map(name -> DynamicTest.dynamicTest(name, () -> {
      String body = Fixtures.read(provider().name(), name);
      JsonArray actual = new JsonArray();
      provider().parse(Buffer.buffer(body)).forEach(event -> actual.add(event.toJson()));
      Path expectedFile = Fixtures.ROOT.resolve(provider().name()).resolve(name.replace(".json", ".expected.json"));
      if (!Files.exists(expectedFile)) {
        if (Boolean.getBoolean("fixtures.write")) {
          Files.writeString(expectedFile, actual.encodePrettily() + "\n", StandardCharsets.UTF_8);
        }
        fail("missing " + expectedFile + " (run with -Dfixtures.write=true, then review it)");
      }
      assertEquals(new JsonArray(Files.readString(expectedFile)), actual, name);
    }));
  }

  @TestFactory
  Stream<DynamicTest> everyFixtureIsAcceptedOnlyWithItsSignature() {
    return Fixtures.payloads(provider().name()).stream().map(name -> DynamicTest.dynamicTest(name, () -> {
      byte[] body = Fixtures.read(provider().name(), name).getBytes(StandardCharsets.UTF_8);
      assertTrue(provider().verify(signedHeaders(body), Buffer.buffer(body), secrets()));
      byte[] tampered = body.clone();
      tampered[tampered.length / 2] ^= 1;
      assertFalse(provider().verify(signedHeaders(body), Buffer.buffer(tampered), secrets()), "tampered body");
      assertFalse(provider().verify(MultiMap.caseInsensitiveMultiMap(), Buffer.buffer(body), secrets()), "no signature");
      var otherSecret = new ChannelSecrets(secrets().credentials().copy().put(ChannelSecrets.APP_SECRET, "other"));
      assertFalse(provider().verify(signedHeaders(body), Buffer.buffer(body), otherSecret), "other channel's secret");
    }));
  }

  @Test
  void whatIsNotTheFormatIsMalformedAndNothingElse() {
    for (String garbage : List.of("", " ", "null", "42", "\"text\"", "[]", "[{}]", "{", "{}", "{\"entry\":5}",
        "<xml/>", "\u0000\u0001", "{\"a\":" + "[".repeat(5000))) {
      assertThrows(MalformedPayload.class, () -> provider().parse(Buffer.buffer(garbage)), garbage);
    }
  }

  @TestFactory
  Stream<DynamicTest> truncatedFixturesAreMalformedOrValid() {
    return Fixtures.payloads(provider().name()).stream().map(name -> DynamicTest.dynamicTest(name, () -> {
      String body = Fixtures.read(provider().name(), name);
      for (int cut = 0; cut < body.length(); cut += Math.max(1, body.length() / 97)) {
        try {
          provider().parse(Buffer.buffer(body.substring(0, cut)));
        } catch (MalformedPayload expected) {
          // the only failure a provider may raise
        }
      }
    }));
  }
}

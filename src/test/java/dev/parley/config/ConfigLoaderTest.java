package dev.parley.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @Test
  void defaultsStartEmbeddedServersWithTheDemo() {
    ParleyConfig config = ConfigLoader.load(Map.of());
    assertTrue(config.postgres().embedded());
    assertTrue(config.redis().embedded());
    assertEquals(8080, config.http().port());
    assertEquals(Duration.ofHours(24), config.conversation().serviceWindow());
    assertEquals(Duration.ofHours(1), config.conversation().windowClosingLead());
    assertEquals(3 * 1024 * 1024, config.http().maxWebhookBytes());
    assertTrue(config.demo().enabled());
    assertEquals(Duration.ofHours(1), config.templates().syncInterval());
  }

  @Test
  void environmentOverridesTheFile() {
    ParleyConfig config = ConfigLoader.load(Map.of(
        "PARLEY_PG_URL", "postgresql://parley:secret@db.internal:5432/parley",
        "PARLEY_REDIS_URL", "redis://cache.internal:6379",
        "PARLEY_HTTP_PORT", "9090",
        "PARLEY_DATA_DIR", "/var/lib/parley",
        "PARLEY_DEMO_APP_SECRET", "rotated",
        "PARLEY_SERVICE_WINDOW", "PT30S",
        "PARLEY_WINDOW_CLOSING_LEAD", "PT10S",
        "PARLEY_TEMPLATE_SYNC_INTERVAL", "PT15M"));
    assertEquals("postgresql://parley:secret@db.internal:5432/parley", config.postgres().url());
    assertEquals("redis://cache.internal:6379", config.redis().url());
    assertEquals(9090, config.http().port());
    assertEquals(Path.of("/var/lib/parley"), config.dataDir());
    assertEquals("rotated", config.demo().appSecret());
    assertEquals(Duration.ofSeconds(30), config.conversation().serviceWindow());
    assertEquals(Duration.ofMinutes(15), config.templates().syncInterval());
  }

  @Test
  void scheduledMessagesArePolledEverySecondByDefaultAndTheEnvironmentChangesIt() {
    ParleyConfig defaults = ConfigLoader.load(Map.of());
    assertEquals(Duration.ofSeconds(1), defaults.schedule().pollInterval());
    assertEquals(Duration.ofMinutes(1), defaults.schedule().lease());
    ParleyConfig changed = ConfigLoader.load(Map.of(
        "PARLEY_SCHEDULE_POLL_INTERVAL", "PT0.2S", "PARLEY_SCHEDULE_LEASE", "PT5S"));
    assertEquals(Duration.ofMillis(200), changed.schedule().pollInterval());
    assertEquals(Duration.ofSeconds(5), changed.schedule().lease());
    ConfigException error = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(Map.of("PARLEY_SCHEDULE_POLL_INTERVAL", "often")));
    assertTrue(error.getMessage().contains("schedule.poll_interval (PARLEY_SCHEDULE_POLL_INTERVAL)"), error.getMessage());
  }

  @Test
  void anEmptyVariableClearsAValue() {
    assertNull(ConfigLoader.load(Map.of("PARLEY_PG_URL", "")).postgres().url());
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "PARLEY_HTTP_PORT", "eighty",
        "PARLEY_PG_URL", "mysql://localhost/parley",
        "PARLEY_REDIS_URL", "localhost:6379",
        "PARLEY_SERVICE_WINDOW", "24 hours",
        "PARLEY_DEMO_CHANNEL_ID", "demo",
        "PARLEY_DEMO_ADMIN_PASSWORD", "short")));
    assertEquals(6, error.problems().size(), error.getMessage());
    assertTrue(error.getMessage().contains("PARLEY_HTTP_PORT"));
    assertTrue(error.getMessage().contains("PARLEY_PG_URL"));
    assertTrue(error.getMessage().contains("PARLEY_SERVICE_WINDOW"));
  }

  @Test
  void leadMustBeShorterThanTheWindow() {
    ConfigException error = assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of(
        "PARLEY_SERVICE_WINDOW", "PT1H", "PARLEY_WINDOW_CLOSING_LEAD", "PT2H")));
    assertTrue(error.getMessage().contains("window_closing_lead"));
  }

  @Test
  void passwordsInUrlsAreNotPrinted() {
    ConfigException error = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(Map.of("PARLEY_PG_URL", "mysql://user:hunter2@localhost/parley")));
    assertTrue(!error.getMessage().contains("hunter2"), error.getMessage());
  }

  @Test
  void aNamedFileIsReadAndAMissingOneIsAnError(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("custom.json");
    Files.writeString(file, Files.readString(Path.of("conf/parley.json")).replace("8080", "7070"));
    assertEquals(7070, ConfigLoader.load(Map.of("PARLEY_CONFIG", file.toString())).http().port());
    assertThrows(ConfigException.class, () -> ConfigLoader.load(Map.of("PARLEY_CONFIG", dir.resolve("nope.json").toString())));
  }
}

package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * How the simulator behaves: where it listens, Meta's limits, when statuses follow a send, how much disorder
 * webhooks show, which faults it injects and how it retries webhook deliveries. Every value has a realistic
 * default. The simulator copies the options it is given; change them while it runs with
 * {@link ProviderSimulator#configure} (or {@code PATCH /_simulator/options} with the snake_case keys of
 * {@link #toJson()}; durations are ISO-8601).
 */
public final class SimulatorOptions {

  /** What a request hit by {@link #timeoutProbability()} sees. */
  public enum TimeoutMode {
    /** The message is accepted (its webhooks follow) but the request is never answered. */
    NEVER_ANSWER,
    /** The message is accepted and the answer comes only after {@link #lateAnswerDelay()}. */
    ANSWER_LATE
  }

  private String host = "127.0.0.1";
  private int port;
  private int pairBurst = 45;
  private Duration pairInterval = Duration.ofSeconds(6);
  private Duration serviceWindow = Duration.ofHours(24);
  private Duration sentDelay = Duration.ofMillis(100);
  private Duration deliveredDelay = Duration.ofMillis(400);
  private Duration readDelay = Duration.ofMillis(1500);
  private double readProbability = 1.0;
  private double batchProbability = 0.2;
  private double shuffleProbability = 0.05;
  private double duplicateProbability = 0.02;
  private Duration latency = Duration.ZERO;
  private Duration jitter = Duration.ZERO;
  private double errorProbability;
  private double timeoutProbability;
  private TimeoutMode timeoutMode = TimeoutMode.NEVER_ANSWER;
  private Duration lateAnswerDelay = Duration.ofSeconds(30);
  private Set<String> unreachableWaIds = new LinkedHashSet<>();
  private String unreachablePrefix;
  private int webhookConcurrency = 64;
  private int webhookMaxBatch = 100;
  private Duration webhookTimeout = Duration.ofSeconds(10);
  private Duration webhookRetryBase = Duration.ofMillis(500);
  private Duration webhookRetryMax = Duration.ofSeconds(30);
  private Duration webhookRetryDeadline = Duration.ofDays(7);
  private Duration mediaUrlTtl = Duration.ofMinutes(5);
  private Map<String, Long> mediaMaxBytes = new LinkedHashMap<>(Map.of(
      "image", 5L << 20, "video", 16L << 20, "audio", 16L << 20, "document", 100L << 20, "sticker", 500L << 10));
  private int maxRecordedMessages = 100_000;
  private Long seed;

  public SimulatorOptions() {}

  /** A deep copy. */
  public SimulatorOptions copy() {
    return new SimulatorOptions().apply(toJson());
  }

  public String host() { return host; }
  public SimulatorOptions host(String value) { host = value; return this; }

  /** 0 picks a free port. */
  public int port() { return port; }
  public SimulatorOptions port(int value) { port = value; return this; }

  /** Messages one number may send to one recipient in a burst before 131056 (Meta: 45). */
  public int pairBurst() { return pairBurst; }
  public SimulatorOptions pairBurst(int value) { pairBurst = positive(value, "pair_burst"); return this; }

  /** After the burst, one message to the same recipient per this interval (Meta: 6 s). */
  public Duration pairInterval() { return pairInterval; }
  public SimulatorOptions pairInterval(Duration value) { pairInterval = positive(value, "pair_interval"); return this; }

  /** How long after a customer's last message non-template messages are delivered (Meta: 24 h). */
  public Duration serviceWindow() { return serviceWindow; }
  public SimulatorOptions serviceWindow(Duration value) { serviceWindow = value; return this; }

  /** From acceptance to the {@code sent} (or {@code failed}) status. */
  public Duration sentDelay() { return sentDelay; }
  public SimulatorOptions sentDelay(Duration value) { sentDelay = value; return this; }

  /** From acceptance to {@code delivered}. */
  public Duration deliveredDelay() { return deliveredDelay; }
  public SimulatorOptions deliveredDelay(Duration value) { deliveredDelay = value; return this; }

  /** From acceptance to {@code read}, when the customer reads. */
  public Duration readDelay() { return readDelay; }
  public SimulatorOptions readDelay(Duration value) { readDelay = value; return this; }

  /** The chance that the customer reads a delivered message (then {@code read} follows). */
  public double readProbability() { return readProbability; }
  public SimulatorOptions readProbability(double value) { readProbability = probability(value, "read_probability"); return this; }

  /** The chance that a message's {@code sent} and {@code delivered} are posted together in one webhook. */
  public double batchProbability() { return batchProbability; }
  public SimulatorOptions batchProbability(double value) { batchProbability = probability(value, "batch_probability"); return this; }

  /** The chance that a message's later statuses arrive out of order ({@code read} before {@code delivered}). */
  public double shuffleProbability() { return shuffleProbability; }
  public SimulatorOptions shuffleProbability(double value) { shuffleProbability = probability(value, "shuffle_probability"); return this; }

  /** The chance that a status is posted a second time, a little later. */
  public double duplicateProbability() { return duplicateProbability; }
  public SimulatorOptions duplicateProbability(double value) { duplicateProbability = probability(value, "duplicate_probability"); return this; }

  /** Added before every Graph answer. */
  public Duration latency() { return latency; }
  public SimulatorOptions latency(Duration value) { latency = value; return this; }

  /** A uniformly random extra delay up to this, added to {@link #latency()}. */
  public Duration jitter() { return jitter; }
  public SimulatorOptions jitter(Duration value) { jitter = value; return this; }

  /** The chance that a send is refused with a server error (500 / 131000, 503 / 133004 or 503 / 2). */
  public double errorProbability() { return errorProbability; }
  public SimulatorOptions errorProbability(double value) { errorProbability = probability(value, "error_probability"); return this; }

  /** The chance that an accepted send is not answered in time (see {@link #timeoutMode()}). */
  public double timeoutProbability() { return timeoutProbability; }
  public SimulatorOptions timeoutProbability(double value) { timeoutProbability = probability(value, "timeout_probability"); return this; }

  public TimeoutMode timeoutMode() { return timeoutMode; }
  public SimulatorOptions timeoutMode(TimeoutMode value) { timeoutMode = value; return this; }

  /** How late a late answer comes ({@link TimeoutMode#ANSWER_LATE}). */
  public Duration lateAnswerDelay() { return lateAnswerDelay; }
  public SimulatorOptions lateAnswerDelay(Duration value) { lateAnswerDelay = value; return this; }

  /** Recipients (wa_ids) to whom every message fails with 131026 after being accepted. */
  public Set<String> unreachableWaIds() { return Set.copyOf(unreachableWaIds); }
  public SimulatorOptions unreachableWaIds(Set<String> value) { unreachableWaIds = new LinkedHashSet<>(value); return this; }

  /** Recipients whose wa_id starts with this are unreachable too; null for none. */
  public String unreachablePrefix() { return unreachablePrefix; }
  public SimulatorOptions unreachablePrefix(String value) { unreachablePrefix = value == null || value.isEmpty() ? null : value; return this; }

  /** Webhook POSTs in flight at once per webhook URL. */
  public int webhookConcurrency() { return webhookConcurrency; }
  public SimulatorOptions webhookConcurrency(int value) { webhookConcurrency = positive(value, "webhook_concurrency"); return this; }

  /** Most statuses of one number put into one webhook POST when several are due. */
  public int webhookMaxBatch() { return webhookMaxBatch; }
  public SimulatorOptions webhookMaxBatch(int value) { webhookMaxBatch = positive(value, "webhook_max_batch"); return this; }

  /** A webhook POST without an answer by then counts as failed (and is retried). */
  public Duration webhookTimeout() { return webhookTimeout; }
  public SimulatorOptions webhookTimeout(Duration value) { webhookTimeout = positive(value, "webhook_timeout"); return this; }

  /** First delay before a failed webhook is posted again; doubles per attempt. */
  public Duration webhookRetryBase() { return webhookRetryBase; }
  public SimulatorOptions webhookRetryBase(Duration value) { webhookRetryBase = positive(value, "webhook_retry_base"); return this; }

  /** Longest delay between two attempts of one webhook. */
  public Duration webhookRetryMax() { return webhookRetryMax; }
  public SimulatorOptions webhookRetryMax(Duration value) { webhookRetryMax = positive(value, "webhook_retry_max"); return this; }

  /** A webhook still undelivered this long after its first attempt is dropped (Meta: 7 days). */
  public Duration webhookRetryDeadline() { return webhookRetryDeadline; }
  public SimulatorOptions webhookRetryDeadline(Duration value) { webhookRetryDeadline = value; return this; }

  /** How long a media download URL stays valid (Meta: 5 minutes). */
  public Duration mediaUrlTtl() { return mediaUrlTtl; }
  public SimulatorOptions mediaUrlTtl(Duration value) { mediaUrlTtl = value; return this; }

  /** The largest upload per media kind ({@code image}, {@code video}, {@code audio}, {@code document}, {@code sticker}). */
  public long mediaMaxBytes(String kind) { return mediaMaxBytes.getOrDefault(kind, 0L); }
  public SimulatorOptions mediaMaxBytes(String kind, long bytes) {
    if (!mediaMaxBytes.containsKey(kind)) {
      throw new IllegalArgumentException("unknown media kind " + kind);
    }
    mediaMaxBytes.put(kind, bytes);
    return this;
  }

  /** Accepted messages kept per number for {@link NumberStats#messages()} (all are counted). */
  public int maxRecordedMessages() { return maxRecordedMessages; }
  public SimulatorOptions maxRecordedMessages(int value) { maxRecordedMessages = value; return this; }

  /** Seeds the simulator's randomness (faults, disorder) for repeatable runs; null seeds from the clock. */
  public Long seed() { return seed; }
  public SimulatorOptions seed(Long value) { seed = value; return this; }

  /** Whether a message to {@code waId} fails with 131026. */
  boolean unreachable(String waId) {
    return unreachableWaIds.contains(waId) || (unreachablePrefix != null && waId.startsWith(unreachablePrefix));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("host", host)
        .put("port", port)
        .put("pair_burst", pairBurst)
        .put("pair_interval", pairInterval.toString())
        .put("service_window", serviceWindow.toString())
        .put("sent_delay", sentDelay.toString())
        .put("delivered_delay", deliveredDelay.toString())
        .put("read_delay", readDelay.toString())
        .put("read_probability", readProbability)
        .put("batch_probability", batchProbability)
        .put("shuffle_probability", shuffleProbability)
        .put("duplicate_probability", duplicateProbability)
        .put("latency", latency.toString())
        .put("jitter", jitter.toString())
        .put("error_probability", errorProbability)
        .put("timeout_probability", timeoutProbability)
        .put("timeout_mode", timeoutMode.name().toLowerCase())
        .put("late_answer_delay", lateAnswerDelay.toString())
        .put("unreachable_wa_ids", new JsonArray(unreachableWaIds.stream().toList()))
        .put("unreachable_prefix", unreachablePrefix)
        .put("webhook_concurrency", webhookConcurrency)
        .put("webhook_max_batch", webhookMaxBatch)
        .put("webhook_timeout", webhookTimeout.toString())
        .put("webhook_retry_base", webhookRetryBase.toString())
        .put("webhook_retry_max", webhookRetryMax.toString())
        .put("webhook_retry_deadline", webhookRetryDeadline.toString())
        .put("media_url_ttl", mediaUrlTtl.toString())
        .put("media_max_bytes", new JsonObject(new LinkedHashMap<>(mediaMaxBytes)))
        .put("max_recorded_messages", maxRecordedMessages)
        .put("seed", seed);
  }

  /**
   * Sets every key present in {@code json} (the shape of {@link #toJson()}); keys absent stay as they are.
   *
   * @throws IllegalArgumentException naming the first unknown key or invalid value
   */
  public SimulatorOptions apply(JsonObject json) {
    for (String key : json.fieldNames()) {
      Object value = json.getValue(key);
      try {
        set(key, json);
      } catch (ClassCastException | DateTimeParseException | NullPointerException e) {
        throw new IllegalArgumentException("invalid value for " + key + ": " + value);
      }
    }
    return this;
  }

  private void set(String key, JsonObject json) {
    switch (key) {
      case "host" -> host(json.getString(key));
      case "port" -> port(json.getInteger(key));
      case "pair_burst" -> pairBurst(json.getInteger(key));
      case "pair_interval" -> pairInterval(duration(json, key));
      case "service_window" -> serviceWindow(duration(json, key));
      case "sent_delay" -> sentDelay(duration(json, key));
      case "delivered_delay" -> deliveredDelay(duration(json, key));
      case "read_delay" -> readDelay(duration(json, key));
      case "read_probability" -> readProbability(json.getDouble(key));
      case "batch_probability" -> batchProbability(json.getDouble(key));
      case "shuffle_probability" -> shuffleProbability(json.getDouble(key));
      case "duplicate_probability" -> duplicateProbability(json.getDouble(key));
      case "latency" -> latency(duration(json, key));
      case "jitter" -> jitter(duration(json, key));
      case "error_probability" -> errorProbability(json.getDouble(key));
      case "timeout_probability" -> timeoutProbability(json.getDouble(key));
      case "timeout_mode" -> timeoutMode(TimeoutMode.valueOf(json.getString(key).toUpperCase()));
      case "late_answer_delay" -> lateAnswerDelay(duration(json, key));
      case "unreachable_wa_ids" -> {
        Set<String> ids = new LinkedHashSet<>();
        json.getJsonArray(key).forEach(id -> ids.add((String) id));
        unreachableWaIds(ids);
      }
      case "unreachable_prefix" -> unreachablePrefix(json.getString(key));
      case "webhook_concurrency" -> webhookConcurrency(json.getInteger(key));
      case "webhook_max_batch" -> webhookMaxBatch(json.getInteger(key));
      case "webhook_timeout" -> webhookTimeout(duration(json, key));
      case "webhook_retry_base" -> webhookRetryBase(duration(json, key));
      case "webhook_retry_max" -> webhookRetryMax(duration(json, key));
      case "webhook_retry_deadline" -> webhookRetryDeadline(duration(json, key));
      case "media_url_ttl" -> mediaUrlTtl(duration(json, key));
      case "media_max_bytes" -> json.getJsonObject(key).forEach(e -> mediaMaxBytes(e.getKey(), ((Number) e.getValue()).longValue()));
      case "max_recorded_messages" -> maxRecordedMessages(json.getInteger(key));
      case "seed" -> seed(json.getLong(key));
      default -> throw new IllegalArgumentException("unknown option " + key);
    }
  }

  private static Duration duration(JsonObject json, String key) {
    Duration value = Duration.parse(json.getString(key));
    if (value.isNegative()) {
      throw new IllegalArgumentException("invalid value for " + key + ": negative");
    }
    return value;
  }

  private static double probability(double value, String name) {
    if (value < 0 || value > 1) {
      throw new IllegalArgumentException(name + " must be between 0 and 1");
    }
    return value;
  }

  private static int positive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1");
    }
    return value;
  }

  private static Duration positive(Duration value, String name) {
    if (value.isZero() || value.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive");
    }
    return value;
  }

  @Override
  public String toString() {
    return "SimulatorOptions" + toJson().encode();
  }
}

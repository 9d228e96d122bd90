package dev.parley.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Reads {@code conf/parley.json} (or the file named by {@code PARLEY_CONFIG}), applies environment overrides,
 * validates everything and returns one {@link ParleyConfig}. All problems are reported together in a
 * {@link ConfigException}.
 */
public final class ConfigLoader {

  /** Environment variable → JSON path in the configuration file. */
  static final Map<String, String> ENV_OVERRIDES = new LinkedHashMap<>();

  static {
    ENV_OVERRIDES.put("PARLEY_HTTP_HOST", "http.host");
    ENV_OVERRIDES.put("PARLEY_HTTP_PORT", "http.port");
    ENV_OVERRIDES.put("PARLEY_HTTP_INSTANCES", "http.instances");
    ENV_OVERRIDES.put("PARLEY_SHUTDOWN_GRACE", "http.shutdown_grace");
    ENV_OVERRIDES.put("PARLEY_PG_URL", "postgres.url");
    ENV_OVERRIDES.put("PARLEY_PG_POOL_SIZE", "postgres.pool_size");
    ENV_OVERRIDES.put("PARLEY_REDIS_URL", "redis.url");
    ENV_OVERRIDES.put("PARLEY_REDIS_KEY_PREFIX", "redis.key_prefix");
    ENV_OVERRIDES.put("PARLEY_REDIS_POOL_SIZE", "redis.pool_size");
    ENV_OVERRIDES.put("PARLEY_REDIS_TIMEOUT", "redis.timeout");
    ENV_OVERRIDES.put("PARLEY_DATA_DIR", "data_dir");
    ENV_OVERRIDES.put("PARLEY_INGEST_PROJECTORS", "ingest.projectors");
    ENV_OVERRIDES.put("PARLEY_INGEST_LOG_RETENTION", "ingest.log_retention");
    ENV_OVERRIDES.put("PARLEY_WHATSAPP_GRAPH_URL", "whatsapp.graph_url");
    ENV_OVERRIDES.put("PARLEY_WHATSAPP_GRAPH_VERSION", "whatsapp.graph_version");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_RATE_PER_NUMBER", "dispatch.rate_per_number");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_RETRY_BASE", "dispatch.retry_base");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_RETRY_DEADLINE", "dispatch.retry_deadline");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_RECONCILE_GRACE", "dispatch.reconcile_grace");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_POLL_INTERVAL", "dispatch.poll_interval");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_LEASE", "dispatch.lease");
    ENV_OVERRIDES.put("PARLEY_DISPATCH_MARK_READ", "dispatch.mark_read");
    ENV_OVERRIDES.put("PARLEY_SCHEDULE_POLL_INTERVAL", "schedule.poll_interval");
    ENV_OVERRIDES.put("PARLEY_SCHEDULE_LEASE", "schedule.lease");
    ENV_OVERRIDES.put("PARLEY_MEDIA_DIR", "media.dir");
    ENV_OVERRIDES.put("PARLEY_MEDIA_RETENTION", "media.retention");
    ENV_OVERRIDES.put("PARLEY_MEDIA_MAX_BYTES", "media.max_bytes");
    ENV_OVERRIDES.put("PARLEY_MEDIA_SWEEP_INTERVAL", "media.sweep_interval");
    ENV_OVERRIDES.put("PARLEY_MEDIA_RETRY_BASE", "media.retry_base");
    ENV_OVERRIDES.put("PARLEY_SIMULATOR_ENABLED", "simulator.enabled");
    ENV_OVERRIDES.put("PARLEY_SIMULATOR_PORT", "simulator.port");
    ENV_OVERRIDES.put("PARLEY_SERVICE_WINDOW", "conversation.service_window");
    ENV_OVERRIDES.put("PARLEY_WINDOW_CLOSING_LEAD", "conversation.window_closing_lead");
    ENV_OVERRIDES.put("PARLEY_TIMER_POLL_INTERVAL", "conversation.timer_poll_interval");
    ENV_OVERRIDES.put("PARLEY_STATE_CHECK_INTERVAL", "conversation.state_check_interval");
    ENV_OVERRIDES.put("PARLEY_JWT_SECRET", "auth.jwt_secret");
    ENV_OVERRIDES.put("PARLEY_TOKEN_TTL", "auth.token_ttl");
    ENV_OVERRIDES.put("PARLEY_LOGIN_MAX_FAILURES", "auth.login_max_failures");
    ENV_OVERRIDES.put("PARLEY_LOGIN_FAILURE_WINDOW", "auth.login_failure_window");
    ENV_OVERRIDES.put("PARLEY_PUSH_INSTANCES", "push.instances");
    ENV_OVERRIDES.put("PARLEY_PUSH_LOG_MAX_EVENTS", "push.log_max_events");
    ENV_OVERRIDES.put("PARLEY_PUSH_LOG_MAX_AGE", "push.log_max_age");
    ENV_OVERRIDES.put("PARLEY_PUSH_RESUME_GRACE", "push.resume_grace");
    ENV_OVERRIDES.put("PARLEY_PUSH_PING_INTERVAL", "push.ping_interval");
    ENV_OVERRIDES.put("PARLEY_PUSH_IDLE_TIMEOUT", "push.idle_timeout");
    ENV_OVERRIDES.put("PARLEY_PUSH_MAX_QUEUED_BYTES", "push.max_queued_bytes");
    ENV_OVERRIDES.put("PARLEY_TEMPLATE_SYNC_INTERVAL", "templates.sync_interval");
    ENV_OVERRIDES.put("PARLEY_DEMO_ENABLED", "demo.enabled");
    ENV_OVERRIDES.put("PARLEY_DEMO_CHANNEL_ID", "demo.channel_id");
    ENV_OVERRIDES.put("PARLEY_DEMO_PHONE_NUMBER_ID", "demo.phone_number_id");
    ENV_OVERRIDES.put("PARLEY_DEMO_APP_SECRET", "demo.app_secret");
    ENV_OVERRIDES.put("PARLEY_DEMO_VERIFY_TOKEN", "demo.verify_token");
    ENV_OVERRIDES.put("PARLEY_DEMO_ADMIN_EMAIL", "demo.admin_email");
    ENV_OVERRIDES.put("PARLEY_DEMO_ADMIN_PASSWORD", "demo.admin_password");
    ENV_OVERRIDES.put("PARLEY_DEMO_AGENT_EMAIL", "demo.agent_email");
    ENV_OVERRIDES.put("PARLEY_DEMO_AGENT_PASSWORD", "demo.agent_password");
  }

  private final List<String> problems = new ArrayList<>();

  private ConfigLoader() {}

  /** Loads from the process environment. */
  public static ParleyConfig load() {
    return load(System.getenv());
  }

  /** Loads with the given environment (tests pass their own map). */
  public static ParleyConfig load(Map<String, String> env) {
    Path file = Path.of(env.getOrDefault("PARLEY_CONFIG", "conf/parley.json"));
    JsonObject json;
    if (Files.exists(file)) {
      try {
        json = new JsonObject(Files.readString(file));
      } catch (IOException | DecodeException e) {
        throw new ConfigException(List.of(file + ": " + e.getMessage()));
      }
    } else if (env.containsKey("PARLEY_CONFIG")) {
      throw new ConfigException(List.of("PARLEY_CONFIG names " + file + ", which does not exist"));
    } else {
      json = defaults();
    }
    return new ConfigLoader().read(json, env);
  }

  /** The defaults shipped inside the jar, used when {@code conf/parley.json} is not beside the process. */
  static JsonObject defaults() {
    try (var in = ConfigLoader.class.getResourceAsStream("/parley.json")) {
      return new JsonObject(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("parley.json missing from the classpath", e);
    }
  }

  private ParleyConfig read(JsonObject root, Map<String, String> env) {
    ENV_OVERRIDES.forEach((variable, path) -> {
      String value = env.get(variable);
      if (value != null) {
        set(root, path, value.isEmpty() ? null : value);
      }
    });

    var http = new ParleyConfig.Http(
        string(root, "http.host", false),
        integer(root, "http.port", 0, 65535),
        integer(root, "http.instances", 0, 256),
        integer(root, "http.max_webhook_bytes", 1024, 64 * 1024 * 1024),
        duration(root, "http.shutdown_grace"));
    var postgres = new ParleyConfig.Postgres(
        url(root, "postgres.url", "postgresql", "postgres"), integer(root, "postgres.pool_size", 1, 512));
    var redis = new ParleyConfig.Redis(
        url(root, "redis.url", "redis", "rediss"),
        string(root, "redis.key_prefix", true),
        integer(root, "redis.pool_size", 1, 512),
        duration(root, "redis.timeout"));
    String dataDir = string(root, "data_dir", false);
    var ingest = new ParleyConfig.Ingest(integer(root, "ingest.projectors", 0, 256), duration(root, "ingest.apply_timeout"),
        duration(root, "ingest.log_retention"));
    var conversation = new ParleyConfig.Conversation(
        duration(root, "conversation.service_window"),
        duration(root, "conversation.window_closing_lead"),
        duration(root, "conversation.timer_poll_interval"),
        duration(root, "conversation.state_check_interval"),
        duration(root, "conversation.pending_status_retention"));
    if (conversation.serviceWindow() != null
        && conversation.windowClosingLead() != null
        && conversation.windowClosingLead().compareTo(conversation.serviceWindow()) >= 0) {
      problems.add("conversation.window_closing_lead (" + conversation.windowClosingLead()
          + ") must be shorter than conversation.service_window (" + conversation.serviceWindow() + ")");
    }
    Object secret = get(root, "auth.jwt_secret");
    if (secret != null && secret.toString().length() < 32) {
      problems.add(describe("auth.jwt_secret") + " must have at least 32 characters");
    }
    var auth = new ParleyConfig.Auth(
        secret == null ? null : secret.toString(),
        duration(root, "auth.token_ttl"),
        integer(root, "auth.login_max_failures", 1, 1_000_000),
        integer(root, "auth.login_max_failures_per_address", 1, 1_000_000),
        duration(root, "auth.login_failure_window"));
    var push = new ParleyConfig.Push(
        integer(root, "push.instances", 0, 256),
        integer(root, "push.log_max_events", 1, 10_000_000),
        duration(root, "push.log_max_age"),
        duration(root, "push.resume_grace"),
        duration(root, "push.ping_interval"),
        duration(root, "push.idle_timeout"),
        integer(root, "push.max_queued_bytes", 1024, 1 << 30),
        integer(root, "push.max_frame_bytes", 1024, 16 << 20));
    if (push.pingInterval() != null && push.idleTimeout() != null
        && push.idleTimeout().compareTo(push.pingInterval()) <= 0) {
      problems.add("push.idle_timeout (" + push.idleTimeout() + ") must be longer than push.ping_interval ("
          + push.pingInterval() + ")");
    }
    var whatsapp = new ParleyConfig.WhatsApp(
        url(root, "whatsapp.graph_url", "http", "https"),
        string(root, "whatsapp.graph_version", false),
        duration(root, "whatsapp.request_timeout"));
    var dispatch = new ParleyConfig.Dispatch(
        integer(root, "dispatch.pool_size", 1, 256),
        integer(root, "dispatch.concurrency", 1, 100_000),
        integer(root, "dispatch.rate_per_number", 1, 1000),
        integer(root, "dispatch.recipient_burst", 1, 45),
        duration(root, "dispatch.recipient_interval"),
        duration(root, "dispatch.retry_base"),
        duration(root, "dispatch.retry_max_delay"),
        duration(root, "dispatch.retry_deadline"),
        duration(root, "dispatch.lease"),
        duration(root, "dispatch.reconcile_grace"),
        duration(root, "dispatch.poll_interval"),
        bool(root, "dispatch.mark_read"));
    var schedule = new ParleyConfig.Schedule(
        duration(root, "schedule.poll_interval"), duration(root, "schedule.lease"));
    Object mediaDir = get(root, "media.dir");
    Object retention = get(root, "media.retention");
    var media = new ParleyConfig.Media(
        mediaDir == null ? Path.of(dataDir == null ? "data" : dataDir, "media") : Path.of(mediaDir.toString()),
        retention == null || "forever".equals(retention) ? null : duration(root, "media.retention"),
        integer(root, "media.max_bytes", 1024, Integer.MAX_VALUE),
        integer(root, "media.fetch_concurrency", 1, 256),
        duration(root, "media.sweep_interval"),
        duration(root, "media.retry_base"));
    var simulator = new ParleyConfig.Simulator(
        bool(root, "simulator.enabled"), string(root, "simulator.host", false), integer(root, "simulator.port", 0, 65535));
    var demo = new ParleyConfig.Demo(
        bool(root, "demo.enabled"),
        string(root, "demo.organization_name", false),
        uuid(root, "demo.channel_id"),
        string(root, "demo.phone_number_id", false),
        string(root, "demo.display_phone_number", false),
        string(root, "demo.app_secret", false),
        string(root, "demo.verify_token", false),
        string(root, "demo.admin_email", false),
        string(root, "demo.admin_password", false),
        string(root, "demo.agent_email", false),
        string(root, "demo.agent_password", false));
    var templates = new ParleyConfig.Templates(duration(root, "templates.sync_interval"));
    for (String password : List.of("demo.admin_password", "demo.agent_password")) {
      Object value = get(root, password);
      if (value != null && value.toString().length() < 8) {
        problems.add(describe(password) + " must have at least 8 characters");
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new ParleyConfig(http, postgres, redis, Path.of(dataDir), ingest, conversation, auth, push, whatsapp, dispatch,
        schedule, media, simulator, demo, templates);
  }

  private static void set(JsonObject root, String path, String value) {
    String[] parts = path.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonObject child = node.getJsonObject(parts[i]);
      if (child == null) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = child;
    }
    node.put(parts[parts.length - 1], value);
  }

  private static Object get(JsonObject root, String path) {
    String[] parts = path.split("\\.");
    Object node = root;
    for (String part : parts) {
      if (!(node instanceof JsonObject object)) {
        return null;
      }
      node = object.getValue(part);
    }
    return node;
  }

  private static String describe(String path) {
    return ENV_OVERRIDES.entrySet().stream()
        .filter(e -> e.getValue().equals(path))
        .map(e -> path + " (" + e.getKey() + ")")
        .findFirst()
        .orElse(path);
  }

  private String string(JsonObject root, String path, boolean emptyAllowed) {
    Object value = get(root, path);
    if (value == null || (!emptyAllowed && value.toString().isBlank())) {
      problems.add(describe(path) + " is required");
      return null;
    }
    return value.toString();
  }

  private int integer(JsonObject root, String path, int min, int max) {
    Object value = get(root, path);
    try {
      int n = value instanceof Number number ? number.intValue() : Integer.parseInt(String.valueOf(value).trim());
      if (n < min || n > max) {
        problems.add(describe(path) + " must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      problems.add(describe(path) + " must be a whole number, got '" + value + "'");
      return 0;
    }
  }

  private boolean bool(JsonObject root, String path) {
    Object value = get(root, path);
    if (value instanceof Boolean b) {
      return b;
    }
    String text = String.valueOf(value).trim().toLowerCase();
    if (text.equals("true") || text.equals("false")) {
      return Boolean.parseBoolean(text);
    }
    problems.add(describe(path) + " must be true or false, got '" + value + "'");
    return false;
  }

  private Duration duration(JsonObject root, String path) {
    Object value = get(root, path);
    try {
      Duration d = Duration.parse(String.valueOf(value).trim());
      if (d.isNegative() || d.isZero()) {
        problems.add(describe(path) + " must be positive, got " + value);
      }
      return d;
    } catch (DateTimeParseException e) {
      problems.add(describe(path) + " must be an ISO-8601 duration such as PT24H or PT30S, got '" + value + "'");
      return null;
    }
  }

  private UUID uuid(JsonObject root, String path) {
    Object value = get(root, path);
    try {
      return UUID.fromString(String.valueOf(value).trim());
    } catch (IllegalArgumentException e) {
      problems.add(describe(path) + " must be a UUID, got '" + value + "'");
      return null;
    }
  }

  private String url(JsonObject root, String path, String... schemes) {
    Object value = get(root, path);
    if (value == null) {
      return null;
    }
    String text = value.toString().trim();
    try {
      URI uri = URI.create(text);
      if (uri.getScheme() == null || !List.of(schemes).contains(uri.getScheme()) || uri.getHost() == null) {
        problems.add(describe(path) + " must look like " + schemes[0] + "://host:port/..., got '" + redact(text) + "'");
      }
    } catch (IllegalArgumentException e) {
      problems.add(describe(path) + " is not a valid URL: " + redact(text));
    }
    return text;
  }

  /** Hides a password in a URL before it is printed. */
  public static String redact(String url) {
    return url == null ? null : url.replaceAll("//([^:/@]*):[^@]*@", "//$1:***@");
  }
}

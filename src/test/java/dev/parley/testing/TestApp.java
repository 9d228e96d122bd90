package dev.parley.testing;

import dev.parley.Parley;
import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.config.ConfigLoader;
import dev.parley.config.ParleyConfig;
import dev.parley.store.ConversationCache;
import dev.parley.store.RedisKeys;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;

/**
 * A whole Parley node for one test class, on its own database and Redis key prefix (dropped afterwards), with
 * the demo organization and channel, an HTTP client, and a recorder of every event published on the bus.
 */
public final class TestApp implements AutoCloseable {
  public static final UUID CHANNEL_ID = UUID.fromString("00000000-0000-4000-8000-00000000d001");
  public static final String PHONE_NUMBER_ID = "106540352242922";
  public static final String APP_SECRET = "test-app-secret";
  public static final String VERIFY_TOKEN = "test-verify-token";

  public final String database;
  public final String keyPrefix;
  public final Parley parley;
  public final WebClient http;
  /** Every event published on the bus since the node's first verticle was deployed. */
  public final ConcurrentLinkedQueue<OrgEvent> events;
  private final MessageConsumer<OrgEvent> recorder;
  private final boolean ownsDatabase;
  private boolean stopped;

  private TestApp(String database, String keyPrefix, Parley parley, boolean ownsDatabase,
      ConcurrentLinkedQueue<OrgEvent> events, MessageConsumer<OrgEvent> recorder) {
    this.database = database;
    this.keyPrefix = keyPrefix;
    this.parley = parley;
    this.ownsDatabase = ownsDatabase;
    this.http = WebClient.create(parley.vertx());
    this.events = events;
    this.recorder = recorder;
  }

  /** A fresh node on a fresh database, with {@code overrides} applied on top of the test defaults. */
  public static TestApp start(Map<String, String> overrides) {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    return start("parley_test_" + suffix, "test-" + suffix + ":", overrides, true);
  }

  /** Another node on an existing test database and prefix (restarts, several nodes). */
  public static TestApp join(TestApp existing, Map<String, String> overrides) {
    return start(existing.database, existing.keyPrefix, overrides, false);
  }

  private static TestApp start(String database, String prefix, Map<String, String> overrides, boolean owns) {
    Map<String, String> env = new HashMap<>();
    env.put("PARLEY_PG_URL", TestServers.postgresUrl(database));
    env.put("PARLEY_REDIS_URL", TestServers.redisUrl());
    env.put("PARLEY_REDIS_KEY_PREFIX", prefix);
    env.put("PARLEY_HTTP_HOST", "127.0.0.1");
    env.put("PARLEY_HTTP_PORT", "0");
    env.put("PARLEY_DEMO_CHANNEL_ID", CHANNEL_ID.toString());
    env.put("PARLEY_DEMO_PHONE_NUMBER_ID", PHONE_NUMBER_ID);
    env.put("PARLEY_DEMO_APP_SECRET", APP_SECRET);
    env.put("PARLEY_DEMO_VERIFY_TOKEN", VERIFY_TOKEN);
    env.put("PARLEY_SHUTDOWN_GRACE", "PT5S");
    // media files of a test database stay with it, outside the working tree (a node joining it shares them)
    env.put("PARLEY_MEDIA_DIR", Path.of(System.getProperty("java.io.tmpdir"), "parley-test-media", database).toString());
    env.putAll(overrides);
    ParleyConfig config = ConfigLoader.load(env);
    var events = new ConcurrentLinkedQueue<OrgEvent>();
    var recorder = new java.util.concurrent.atomic.AtomicReference<MessageConsumer<OrgEvent>>();
    try {
      // recording from before the first verticle: timers that fell due while a node was down fire during its start
      Parley parley = Parley.start(config, vertx -> recorder.set(
          vertx.eventBus().<OrgEvent>consumer(Addresses.EVENTS, m -> events.add(m.body()))));
      return new TestApp(database, prefix, parley, owns, events, recorder.get());
    } catch (Exception e) {
      throw new IllegalStateException("Parley did not start", e);
    }
  }

  public String webhookPath() {
    return "/webhooks/whatsapp/" + CHANNEL_ID;
  }

  /** Posts {@code body} signed with the demo channel's app secret. */
  public HttpResponse<Buffer> postSigned(String body) {
    return post(webhookPath(), Buffer.buffer(body), Fixtures.sign(body, APP_SECRET));
  }

  /**
   * Posts a webhook and, once it is acknowledged, waits until the projection has applied and published it (a 200
   * means the webhook is in the inbound log; conversations are projected from there a moment later).
   */
  public HttpResponse<Buffer> post(String path, Buffer body, String signature) {
    HttpResponse<Buffer> response = postOnly(path, body, signature);
    if (response.statusCode() == 200) {
      settled();
    }
    return response;
  }

  /**
   * Posts {@code body} signed, waits for its projection and says what the projection did with it: the response's
   * {@code accepted} and {@code skipped}, and the projection's {@code applied}, {@code duplicates} and {@code pending}
   * (read from {@code parley_inbound_events_total}, so the test must post nothing else meanwhile).
   */
  public JsonObject postCounted(String body) {
    double[] before = projectedCounts();
    HttpResponse<Buffer> response = postSigned(body);
    if (response.statusCode() != 200) {
      throw new AssertionError("webhook answered " + response.statusCode() + ": " + response.bodyAsString());
    }
    double[] after = projectedCounts();
    JsonObject answer = response.bodyAsJsonObject();
    return answer.put("applied", (int) (after[0] - before[0])).put("duplicates", (int) (after[1] - before[1]))
        .put("pending", (int) (after[2] - before[2]));
  }

  private double[] projectedCounts() {
    return new double[] {
        metric("parley_inbound_events_total", "outcome=\"applied\""),
        metric("parley_inbound_events_total", "outcome=\"duplicate\""),
        metric("parley_inbound_events_total", "outcome=\"pending\"")};
  }

  /** Waits until every webhook acknowledged so far is applied and published. */
  public void settled() {
    parley.inbound().settled().await();
  }

  /** Posts a webhook and returns as soon as it is answered. */
  public HttpResponse<Buffer> postOnly(String path, Buffer body, String signature) {
    var request = http.request(HttpMethod.POST, parley.httpPort(), "127.0.0.1", path)
        .putHeader("content-type", "application/json")
        .timeout(Duration.ofSeconds(30).toMillis());
    if (signature != null) {
      request.putHeader("X-Hub-Signature-256", signature);
    }
    return request.sendBuffer(body).await();
  }

  public HttpResponse<Buffer> get(String pathAndQuery) {
    return http.request(HttpMethod.GET, parley.httpPort(), "127.0.0.1", pathAndQuery).send().await();
  }

  public List<Row> sql(String sql, Object... params) {
    List<Row> rows = new ArrayList<>();
    parley.pool().preparedQuery(sql).execute(Tuple.from(params)).await().forEach(rows::add);
    return rows;
  }

  public Row one(String sql, Object... params) {
    List<Row> rows = sql(sql, params);
    if (rows.size() != 1) {
      throw new AssertionError("expected one row from " + sql + ", got " + rows.size());
    }
    return rows.get(0);
  }

  public ConversationCache cache() {
    return new ConversationCache(parley.redis(), keys(), parley.config().conversation().windowClosingLead());
  }

  public RedisKeys keys() {
    return new RedisKeys(keyPrefix);
  }

  /** The demo WhatsApp channel ({@link #CHANNEL_ID}) as the inbound pipeline routes events to it. */
  public Channel channel() {
    Row row = one("SELECT organization_id, name, external_id FROM channels WHERE id = $1", CHANNEL_ID);
    return new Channel(CHANNEL_ID, row.getUUID(0), "whatsapp", row.getString(1), row.getString(2), true, null);
  }

  public UUID organizationId() {
    return one("SELECT organization_id FROM channels WHERE id = $1", CHANNEL_ID).getUUID("organization_id");
  }

  public List<OrgEvent> events(String type) {
    return events.stream().filter(e -> e.type().equals(type)).toList();
  }

  /** Waits up to {@code timeout} for an event matching {@code test}. */
  public OrgEvent awaitEvent(Duration timeout, Predicate<OrgEvent> test) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (OrgEvent event : events) {
        if (test.test(event)) {
          return event;
        }
      }
      sleep(20);
    }
    throw new AssertionError("no matching event within " + timeout + "; saw " + events.stream().map(OrgEvent::type).toList());
  }

  public static final String ADMIN_EMAIL = "admin@parley.local";
  public static final String ADMIN_PASSWORD = "parley-demo-password";

  /** Signs in over REST and returns the access token. */
  public String login(String email, String password) {
    HttpResponse<Buffer> response = postJson("/api/v1/auth/login", new JsonObject().put("email", email).put("password", password), null);
    if (response.statusCode() != 200) {
      throw new AssertionError("sign-in of " + email + " answered " + response.statusCode() + " " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("access_token");
  }

  public String adminToken() {
    return login(ADMIN_EMAIL, ADMIN_PASSWORD);
  }

  /** A JSON request to the API with {@code Authorization: Bearer token} (none when token is null). */
  public HttpResponse<Buffer> api(HttpMethod method, String path, JsonObject body, String token) {
    var request = http.request(method, parley.httpPort(), "127.0.0.1", path).timeout(30_000);
    if (token != null) {
      request.putHeader("Authorization", "Bearer " + token);
    }
    return body == null ? request.send().await() : request.sendJsonObject(body).await();
  }

  /** Sends a message into a conversation as {@code token}'s holder, with an Idempotency-Key when not null. */
  public HttpResponse<Buffer> sendMessage(Object conversationId, JsonObject message, String idempotencyKey,
      String token) {
    var request = http.post(parley.httpPort(), "127.0.0.1", "/api/v1/conversations/" + conversationId + "/messages")
        .timeout(30_000)
        .putHeader("Authorization", "Bearer " + token);
    if (idempotencyKey != null) {
      request.putHeader("Idempotency-Key", idempotencyKey);
    }
    return request.sendJsonObject(message).await();
  }

  /** A new API key of the demo organization (created by its admin). */
  public String apiKey(String name) {
    HttpResponse<Buffer> created = postJson("/api/v1/api_keys", new JsonObject().put("name", name), adminToken());
    if (created.statusCode() != 201) {
      throw new AssertionError("API key creation answered " + created.statusCode() + " " + created.bodyAsString());
    }
    return created.bodyAsJsonObject().getString("key");
  }

  public HttpResponse<Buffer> postJson(String path, JsonObject body, String token) {
    return api(HttpMethod.POST, path, body, token);
  }

  /** Adds a user to {@code organizationId} (password hashed as in production) and returns its id. */
  public UUID createUser(UUID organizationId, String email, String name, String role, String password) {
    UUID id = UUID.randomUUID();
    sql("INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, $5, $6)",
        id, organizationId, email, name, role, dev.parley.auth.PasswordHasher.hash(password));
    return id;
  }

  /** Another organization with its own WhatsApp channel (id, phone number id and app secret as given). */
  public UUID createOrganization(String name, UUID channelId, String phoneNumberId, String appSecret) {
    UUID organization = UUID.randomUUID();
    sql("INSERT INTO organizations (id, name) VALUES ($1, $2)", organization, name);
    sql("INSERT INTO channels (id, organization_id, provider, name, external_id, credentials) "
            + "VALUES ($1, $2, 'whatsapp', $3, $4, $5)",
        channelId, organization, name + " WhatsApp", phoneNumberId,
        new JsonObject().put("app_secret", appSecret).put("verify_token", "verify-" + channelId));
    return organization;
  }

  /** A WebSocket to this node, signed in with {@code token} ({@code query} appended to the URL, may be null). */
  public WsClient ws(String token, String query) {
    return WsClient.connect(parley.vertx(), parley.httpPort(), token, query);
  }

  /** Now, to the second: WhatsApp timestamps have no finer resolution. */
  public static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS);
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Removes every Redis key under this test's prefix (as if Redis had lost its data). */
  public void flushRedis() {
    parley.redis().send(Request.cmd(Command.EVAL)
        .arg("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 1")
        .arg(0).arg(keyPrefix + "*")).await();
  }

  /** Stops the node; the database stays (for {@link #join}). */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    recorder.unregister();
    http.close();
    parley.close();
  }

  /**
   * The sum of the Prometheus samples on {@code /metrics} named {@code name} whose labels contain {@code labels}
   * (e.g. {@code reason="queue_full"}; null for all); 0 when there are none.
   */
  public double metric(String name, String labels) {
    double total = 0;
    for (String line : get("/metrics").bodyAsString().split("\n")) {
      boolean named = line.startsWith(name + " ") || line.startsWith(name + "{");
      if (named && (labels == null || line.contains(labels))) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Override
  public void close() {
    boolean wasOwner = ownsDatabase;
    if (wasOwner && !stopped) { // a node stopped earlier leaves its keys to whoever flushes them
      flushRedis();
    }
    stop();
    if (wasOwner) {
      TestServers.admin("DROP DATABASE IF EXISTS \"" + database + "\" WITH (FORCE)");
    }
  }

  /** The {@code error.code} of an error answer. */
  public static String errorCode(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject().getJsonObject("error").getString("code");
  }

  public static JsonObject json(HttpResponse<Buffer> response) {
    return response.bodyAsJsonObject();
  }
}

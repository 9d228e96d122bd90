package dev.parley.simulator;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.Consumer;

/**
 * A loopback server behaving like the WhatsApp Cloud API (Graph API) for tests, the benchmark and the demo: it
 * takes sends, media and template listings in Meta's wire formats, answers with Meta's success and error bodies
 * (including its rate limits), and posts signed status webhooks to each number's webhook URL. Simulated customers
 * write to the numbers through it, which also opens their 24-hour windows here.
 *
 * <p>Everything runs on one event loop of the given Vert.x; every method here may be called from any thread.
 * Methods answering a {@link Future} never throw; the others throw {@link IllegalArgumentException} for an
 * unknown phone number id or invalid input. The same operations are served over HTTP under {@code /_simulator}
 * (see the README).
 */
public final class ProviderSimulator {
  private final Vertx vertx;
  private final Simulation simulation;
  private final Customers customers;
  private SimulatorVerticle verticle;
  private String deploymentId;

  private ProviderSimulator(Vertx vertx, SimulatorOptions options) {
    this.vertx = vertx;
    this.simulation = new Simulation(options);
    this.customers = new Customers(simulation);
  }

  /** Starts a simulator listening on {@code options.host()}:{@code options.port()} (0: a free port). */
  public static Future<ProviderSimulator> start(Vertx vertx, SimulatorOptions options) {
    var simulator = new ProviderSimulator(vertx, options);
    simulator.verticle = new SimulatorVerticle(simulator.simulation, simulator);
    return vertx.deployVerticle(simulator.verticle, new DeploymentOptions()).map(id -> {
      simulator.deploymentId = id;
      return simulator;
    });
  }

  /** Where the Graph API is, e.g. {@code http://127.0.0.1:41234}: a channel's {@code api_base_url}. */
  public String baseUrl() {
    return simulation.baseUrl();
  }

  public int port() {
    return verticle.port();
  }

  /** Stops the server; undelivered webhooks are dropped. */
  public Future<Void> close() {
    return deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
  }

  /** Registers a sending number, or replaces it (with fresh statistics, limits and windows). */
  public void registerNumber(SimulatedNumber number) {
    simulation.register(number);
  }

  /** Forgets a number; false when it was not registered. */
  public boolean unregisterNumber(String phoneNumberId) {
    return simulation.unregister(phoneNumberId);
  }

  public List<SimulatedNumber> numbers() {
    return simulation.numbers();
  }

  /** A copy of the options in force. */
  public SimulatorOptions options() {
    return simulation.options().copy();
  }

  /** Changes options while running: {@code change} gets a copy, which then replaces the options in force. */
  public void configure(Consumer<SimulatorOptions> change) {
    simulation.configure(change);
  }

  /**
   * The next {@code times} sends of the number (not mark-as-read) fail with Meta's error {@code code} (its usual
   * HTTP status: 130429 and 131056 → 429, 131000 → 500, 133004 and 2 → 503, 190 → 401, others 400) before any
   * validation; nothing is accepted.
   */
  public void failNext(String phoneNumberId, int code, int times) {
    state(phoneNumberId).failNext(code, times);
  }

  /** The next {@code times} sends of the number are accepted (counted, their webhooks follow) but never answered. */
  public void hangNext(String phoneNumberId, int times) {
    state(phoneNumberId).hangNext(times);
  }

  /**
   * A customer writes a text to the number: a signed {@code messages[]} webhook with the customer's profile name.
   * Opens the customer's 24-hour window here. Completes when the webhook was answered 2xx (after retries).
   */
  public Future<CustomerMessage> customerWrites(String phoneNumberId, String waId, String name, String text) {
    try {
      Customers.Posted posted = customers.writes(phoneNumberId, waId, name, text);
      return posted.delivered().map(posted.message());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * A customer sends a file: stored here (downloadable through {@code GET /{version}/{media_id}} with the number's
   * token) and announced as an image, sticker, video, audio or document message by its MIME type, with
   * {@code id}, {@code mime_type}, {@code sha256} (base64) and the caption where WhatsApp allows one.
   */
  public Future<CustomerMessage> customerSendsMedia(String phoneNumberId, String waId, String mimeType, Buffer bytes,
      String caption) {
    try {
      Customers.Posted posted = customers.sendsMedia(phoneNumberId, waId, mimeType, bytes, caption);
      return posted.delivered().map(posted.message());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
  }

  /** A customer reacts to a message ({@code emoji} empty removes the reaction). Does not open the window. */
  public Future<CustomerMessage> customerReacts(String phoneNumberId, String waId, String messageId, String emoji) {
    try {
      Customers.Posted posted = customers.reacts(phoneNumberId, waId, messageId, emoji);
      return posted.delivered().map(posted.message());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Adds a template to a WABA, or replaces the one with the same name and language: {@code name},
   * {@code language}, {@code category}, {@code components} (Meta's shape); {@code status} defaults to
   * {@code APPROVED}. Answers the template as listed, with its id.
   */
  public JsonObject addTemplate(String wabaId, JsonObject template) {
    return simulation.templates.add(wabaId, template);
  }

  /** Sets a template's status ({@code APPROVED}, {@code PENDING}, {@code REJECTED}, {@code PAUSED}, {@code DISABLED}); false when there is no such template. */
  public boolean setTemplateStatus(String wabaId, String name, String language, String status) {
    return simulation.templates.setStatus(wabaId, name, language, status);
  }

  /** What the number saw since it was registered or {@link #reset()}. */
  public NumberStats stats(String phoneNumberId) {
    return state(phoneNumberId).stats();
  }

  public List<NumberStats> stats() {
    return simulation.numbers().stream().map(n -> stats(n.phoneNumberId())).toList();
  }

  /** Webhooks not yet delivered (scheduled statuses, batches waiting, retries, POSTs in flight). */
  public Future<Integer> pendingWebhooks() {
    return simulation.sender().pending();
  }

  /**
   * Forgets statistics, queued faults, rate-limit buckets, customer windows and undelivered webhooks; keeps numbers,
   * media, templates and options.
   */
  public void reset() {
    simulation.reset();
  }

  Customers customers() {
    return customers;
  }

  private NumberState state(String phoneNumberId) {
    NumberState state = simulation.number(phoneNumberId);
    if (state == null) {
      throw new ControlRoutes.NoSuchNumber(phoneNumberId);
    }
    return state;
  }
}

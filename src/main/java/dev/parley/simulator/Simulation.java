package dev.parley.simulator;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The simulator's state shared by its routes and its Java API: registered numbers, media, templates, the options
 * in force, and the webhook machinery (set once the server runs). Thread-safe.
 */
final class Simulation {
  private final Map<String, NumberState> numbers = new ConcurrentHashMap<>();
  final MediaStore media = new MediaStore();
  final TemplateCatalog templates = new TemplateCatalog();
  final MessageValidator validator = new MessageValidator(media, templates);
  final Random random;
  private volatile SimulatorOptions options;
  private volatile String baseUrl;
  private volatile WebhookSender sender;
  private volatile StatusScheduler statuses;

  Simulation(SimulatorOptions options) {
    this.options = options.copy();
    this.random = options.seed() == null ? new Random() : new Random(options.seed());
  }

  /** The options in force: a snapshot never changed afterwards (treat it as read-only). */
  SimulatorOptions options() {
    return options;
  }

  /** Applies a change to a copy of the options and puts the copy in force. */
  synchronized void configure(Consumer<SimulatorOptions> change) {
    SimulatorOptions next = options.copy();
    change.accept(next);
    options = next;
  }

  void started(String baseUrl, WebhookSender sender) {
    this.baseUrl = baseUrl;
    this.sender = sender;
    this.statuses = new StatusScheduler(sender, this::options, random);
  }

  String baseUrl() {
    return baseUrl;
  }

  WebhookSender sender() {
    return sender;
  }

  StatusScheduler statuses() {
    return statuses;
  }

  /** Registers (or replaces, with fresh state) a number; its WABA gets the seed templates if it has none. */
  void register(SimulatedNumber number) {
    numbers.put(number.phoneNumberId(), new NumberState(number, System.nanoTime()));
    templates.seed(number.wabaId());
  }

  boolean unregister(String phoneNumberId) {
    return numbers.remove(phoneNumberId) != null;
  }

  /** The number's state, or null when it is not registered. */
  NumberState number(String phoneNumberId) {
    return numbers.get(phoneNumberId);
  }

  List<SimulatedNumber> numbers() {
    return numbers.values().stream().map(state -> state.number)
        .sorted(Comparator.comparing(SimulatedNumber::phoneNumberId)).toList();
  }

  /** Whether some registered number has this token (a valid token asking for an object it cannot see). */
  boolean anyNumberHasToken(String token) {
    return token != null && numbers.values().stream().anyMatch(state -> state.number.accessToken().equals(token));
  }

  /** Whether a number of this WABA has this token (so it may list the WABA's templates). */
  boolean wabaHasToken(String wabaId, String token) {
    return token != null && numbers.values().stream()
        .anyMatch(state -> state.number.wabaId().equals(wabaId) && state.number.accessToken().equals(token));
  }

  /** Forgets statistics, queued faults, limits, windows and undelivered webhooks; keeps numbers, media, templates. */
  void reset() {
    long now = System.nanoTime();
    numbers.values().forEach(state -> state.reset(now));
    if (sender != null) {
      sender.clear();
    }
  }

  /** The bearer token of a Graph request ({@code Authorization: Bearer …}, or Graph's {@code access_token} parameter). */
  static String bearer(HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return header.substring(7).trim();
    }
    return request.getParam("access_token");
  }

  /** Answers a Graph error in Meta's shape. */
  static void answer(RoutingContext ctx, GraphError error) {
    answer(ctx, error.httpStatus(), error.body());
  }

  static void answer(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}

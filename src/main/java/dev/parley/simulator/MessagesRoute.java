package dev.parley.simulator;

import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * {@code POST /{version}/{phone_number_id}/messages}: the bearer check, queued one-shot faults, random faults,
 * validation, the number's throughput and pair limits, then acceptance: the message is recorded, its statuses are
 * scheduled (or its asynchronous failure: 131047 outside the window, 131026 for an unreachable recipient) and the
 * answer goes out after the configured latency, late or never. The same route marks messages read.
 */
final class MessagesRoute {
  private static final int[] SERVER_ERRORS = {131000, 133004, 2};

  private final Vertx vertx;
  private final Simulation simulation;

  MessagesRoute(Vertx vertx, Simulation simulation) {
    this.vertx = vertx;
    this.simulation = simulation;
  }

  void handle(RoutingContext ctx) {
    String phoneNumberId = ctx.pathParam("id");
    String token = Simulation.bearer(ctx.request());
    NumberState state = simulation.number(phoneNumberId);
    if (state == null || !state.number.accessToken().equals(token)) {
      Simulation.answer(ctx, state == null && simulation.anyNumberHasToken(token)
          ? GraphError.unknownObject("post", phoneNumberId)
          : GraphError.invalidToken());
      return;
    }
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      body = null;
    }
    if (body == null) {
      Simulation.answer(ctx, GraphError.of(100, "The request body must be a JSON object"));
      return;
    }
    SimulatorOptions options = simulation.options();
    if ("read".equals(body.getValue("status"))) {
      markRead(ctx, state, body, options);
      return;
    }
    Integer injected = state.takeFailure();
    if (injected != null) {
      later(ctx, options, GraphError.of(injected, null));
      return;
    }
    if (options.errorProbability() > 0 && simulation.random.nextDouble() < options.errorProbability()) {
      later(ctx, options, GraphError.of(SERVER_ERRORS[simulation.random.nextInt(SERVER_ERRORS.length)], null));
      return;
    }
    MessageValidator.Checked checked = simulation.validator.check(body, state.number.wabaId());
    if (checked.error() != null) {
      later(ctx, options, checked.error());
      return;
    }
    long now = System.nanoTime();
    switch (state.admit(checked.waId(), now, options)) {
      case RATE_LIMITED -> later(ctx, options, GraphError.of(130429, null));
      case PAIR_RATE_LIMITED -> later(ctx, options, GraphError.of(131056, null));
      case ACCEPTED -> accept(ctx, state, body, checked, now, options);
    }
  }

  private void accept(RoutingContext ctx, NumberState state, JsonObject body, MessageValidator.Checked checked,
      long nowNanos, SimulatorOptions options) {
    String waId = checked.waId();
    var message = new AcceptedMessage(Customers.wamid(waId), body.getString("to"), waId, checked.type(),
        body.getString("biz_opaque_callback_data"), Instant.now(), body.copy());
    state.recordAccepted(message, nowNanos, options.maxRecordedMessages());
    boolean template = checked.type().equals("template");
    boolean inWindow = template || !state.number.enforceWindow()
        || state.inWindow(waId, message.acceptedAt().toEpochMilli(), options.serviceWindow().toMillis());
    StatusScheduler statuses = simulation.statuses();
    if (options.unreachable(waId)) {
      statuses.fail(state, message, GraphError.of(131026, null));
    } else if (!inWindow) {
      statuses.fail(state, message, GraphError.of(131047, null));
    } else if (checked.type().equals("reaction")) {
      statuses.reaction(state, message);
    } else {
      statuses.deliver(state, message, StatusScheduler.category(checked.template()));
    }

    var sent = new JsonObject().put("id", message.wamid());
    if (template) {
      sent.put("message_status", "accepted");
    }
    var answer = new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("contacts", new JsonArray().add(new JsonObject().put("input", message.to()).put("wa_id", waId)))
        .put("messages", new JsonArray().add(sent));
    if (state.takeHang()) {
      return; // accepted, and its webhooks follow, but the caller never hears back
    }
    if (options.timeoutProbability() > 0 && simulation.random.nextDouble() < options.timeoutProbability()) {
      if (options.timeoutMode() == SimulatorOptions.TimeoutMode.ANSWER_LATE) {
        vertx.setTimer(Math.max(1, options.lateAnswerDelay().toMillis()), id -> Simulation.answer(ctx, 200, answer));
      }
      return;
    }
    later(ctx, options, 200, answer);
  }

  private void markRead(RoutingContext ctx, NumberState state, JsonObject body, SimulatorOptions options) {
    GraphError error = MessageValidator.checkMarkRead(body);
    if (error != null) {
      later(ctx, options, error);
      return;
    }
    state.markedRead(body.getString("message_id"));
    later(ctx, options, 200, new JsonObject().put("success", true));
  }

  private void later(RoutingContext ctx, SimulatorOptions options, GraphError error) {
    later(ctx, options, error.httpStatus(), error.body());
  }

  /** Answers after the configured latency plus jitter. */
  private void later(RoutingContext ctx, SimulatorOptions options, int status, JsonObject body) {
    long delay = options.latency().toMillis();
    long jitter = options.jitter().toMillis();
    if (jitter > 0) {
      delay += (long) (simulation.random.nextDouble() * jitter);
    }
    if (delay <= 0) {
      Simulation.answer(ctx, status, body);
    } else {
      vertx.setTimer(delay, id -> Simulation.answer(ctx, status, body));
    }
  }
}

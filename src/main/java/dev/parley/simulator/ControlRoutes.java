package dev.parley.simulator;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Base64;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The JSON control API under {@code /_simulator}, mirroring {@link ProviderSimulator}'s Java API so that the
 * standalone simulator and the benchmark can drive it over HTTP. Unauthenticated: the simulator is meant for
 * loopback. Errors answer {@code {"error":{"message"}}} with 400 (bad input) or 404 (unknown number or template).
 */
final class ControlRoutes {
  private final ProviderSimulator simulator;

  ControlRoutes(ProviderSimulator simulator) {
    this.simulator = simulator;
  }

  void mount(Router router) {
    router.route("/_simulator/*").handler(BodyHandler.create(false).setBodyLimit(150L << 20));
    router.get("/_simulator/numbers").handler(ctx -> ok(ctx, 200, new JsonObject().put("numbers",
        new JsonArray(simulator.numbers().stream().map(n -> (Object) n.toJson()).toList()))));
    router.post("/_simulator/numbers").handler(ctx -> withBody(ctx, body -> {
      SimulatedNumber number = SimulatedNumber.fromJson(body);
      simulator.registerNumber(number);
      return ok(ctx, 201, number.toJson());
    }));
    router.delete("/_simulator/numbers/:id").handler(ctx -> {
      if (simulator.unregisterNumber(ctx.pathParam("id"))) {
        ctx.response().setStatusCode(204).end();
      } else {
        fail(ctx, 404, "unknown phone_number_id " + ctx.pathParam("id"));
      }
    });
    router.post("/_simulator/numbers/:id/fail-next").handler(ctx -> withBody(ctx, body -> {
      simulator.failNext(ctx.pathParam("id"), body.getInteger("code", 131000), body.getInteger("times", 1));
      return ok(ctx, 200, new JsonObject().put("queued", body.getInteger("times", 1)));
    }));
    router.post("/_simulator/numbers/:id/hang-next").handler(ctx -> withBody(ctx, body -> {
      simulator.hangNext(ctx.pathParam("id"), body.getInteger("times", 1));
      return ok(ctx, 200, new JsonObject().put("queued", body.getInteger("times", 1)));
    }));
    router.get("/_simulator/options").handler(ctx -> ok(ctx, 200, simulator.options().toJson()));
    router.patch("/_simulator/options").handler(ctx -> withBody(ctx, body -> {
      simulator.configure(options -> options.apply(body));
      return ok(ctx, 200, simulator.options().toJson());
    }));
    router.post("/_simulator/customers/messages").handler(ctx -> withBody(ctx, body ->
        customer(ctx, simulator.customers().writes(body.getString("phone_number_id"), body.getString("wa_id"),
            body.getString("name"), body.getString("text")))));
    router.post("/_simulator/customers/media").handler(ctx -> withBody(ctx, body ->
        customer(ctx, simulator.customers().sendsMedia(body.getString("phone_number_id"), body.getString("wa_id"),
            body.getString("mime_type"), Buffer.buffer(Base64.getDecoder().decode(body.getString("data", ""))),
            body.getString("caption")))));
    router.post("/_simulator/customers/reactions").handler(ctx -> withBody(ctx, body ->
        customer(ctx, simulator.customers().reacts(body.getString("phone_number_id"), body.getString("wa_id"),
            body.getString("message_id"), body.getString("emoji")))));
    router.get("/_simulator/stats").handler(ctx -> ok(ctx, 200, new JsonObject().put("numbers", new JsonArray(
        simulator.stats().stream().map(s -> (Object) s.toJson(withMessages(ctx))).toList()))));
    router.get("/_simulator/stats/:id").handler(ctx -> withNumber(ctx, () ->
        ok(ctx, 200, simulator.stats(ctx.pathParam("id")).toJson(withMessages(ctx)))));
    router.post("/_simulator/reset").handler(ctx -> {
      simulator.reset();
      ctx.response().setStatusCode(204).end();
    });
    router.post("/_simulator/templates/:waba_id").handler(ctx -> withBody(ctx, body ->
        ok(ctx, 201, simulator.addTemplate(ctx.pathParam("waba_id"), body))));
    router.put("/_simulator/templates/:waba_id/:name/:language/status").handler(ctx -> withBody(ctx, body -> {
      if (!simulator.setTemplateStatus(ctx.pathParam("waba_id"), ctx.pathParam("name"), ctx.pathParam("language"),
          body.getString("status"))) {
        return fail(ctx, 404, "no such template");
      }
      return ok(ctx, 200, new JsonObject().put("status", body.getString("status")));
    }));
  }

  /**
   * A customer message: answered 202 with its ids at once, or with {@code ?wait=true} 200 once the number's webhook
   * took it (502 if it never did, e.g. the webhook kept failing until the retry deadline).
   */
  private static Future<Void> customer(RoutingContext ctx, Customers.Posted posted) {
    if (!"true".equals(ctx.request().getParam("wait"))) {
      posted.delivered().onFailure(failure -> { }); // delivery goes on with retries; nobody waits for it
      return ok(ctx, 202, describe(posted.message()));
    }
    posted.delivered().onComplete(done -> {
      if (done.succeeded()) {
        ok(ctx, 200, describe(posted.message()));
      } else {
        fail(ctx, 502, done.cause().getMessage());
      }
    });
    return Future.succeededFuture();
  }

  private static JsonObject describe(CustomerMessage message) {
    return new JsonObject().put("id", message.wamid()).put("wa_id", message.waId()).put("media_id", message.mediaId());
  }

  private static boolean withMessages(RoutingContext ctx) {
    return !"false".equals(ctx.request().getParam("messages"));
  }

  private Future<Void> withNumber(RoutingContext ctx, Supplier<Future<Void>> action) {
    if (simulator.numbers().stream().noneMatch(n -> n.phoneNumberId().equals(ctx.pathParam("id")))) {
      return fail(ctx, 404, "unknown phone_number_id " + ctx.pathParam("id"));
    }
    return action.get();
  }

  private static void withBody(RoutingContext ctx, Function<JsonObject, Future<Void>> action) {
    JsonObject body;
    try {
      body = ctx.body().isEmpty() ? new JsonObject() : ctx.body().asJsonObject();
    } catch (DecodeException | ClassCastException e) {
      fail(ctx, 400, "the body must be a JSON object");
      return;
    }
    try {
      action.apply(body == null ? new JsonObject() : body);
    } catch (IllegalArgumentException | NullPointerException | ClassCastException e) {
      fail(ctx, e instanceof NoSuchNumber ? 404 : 400, String.valueOf(e.getMessage()));
    }
  }

  private static Future<Void> ok(RoutingContext ctx, int status, JsonObject body) {
    return ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  private static Future<Void> fail(RoutingContext ctx, int status, String message) {
    return ok(ctx, status, new JsonObject().put("error", new JsonObject().put("message", message)));
  }

  /** A control call named a phone number id the simulator does not know. */
  static final class NoSuchNumber extends IllegalArgumentException {
    NoSuchNumber(String phoneNumberId) {
      super("unknown phone_number_id " + phoneNumberId);
    }
  }
}

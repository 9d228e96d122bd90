package dev.parley.demo;

import dev.parley.auth.Principal;
import dev.parley.config.ParleyConfig;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Routes;
import dev.parley.simulator.ProviderSimulator;
import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /api/v1/demo}: what the reference inbox's "simulate customer" control uses. While the demo and the
 * built-in provider simulator run, a user of the demo organization may have a simulated customer write to the demo
 * channel: the simulator posts a real, signed WhatsApp webhook, which takes the same path as any other. Anywhere
 * else (another organization, the demo or the simulator off) these routes answer 404 {@code demo_unavailable}.
 */
public final class DemoRoutes implements Routes {
  /** The customer who writes when the request names none. */
  static final String DEFAULT_WA_ID = "15550100001";
  static final String DEFAULT_NAME = "Dana Demo";

  private final ChannelStore channels;
  private final ParleyConfig.Demo demo;
  private final ProviderSimulator simulator;

  /** {@code simulator} is null when it does not run. */
  public DemoRoutes(ChannelStore channels, ParleyConfig.Demo demo, ProviderSimulator simulator) {
    this.channels = channels;
    this.demo = demo;
    this.simulator = simulator;
  }

  @Override
  public void mount(Router api) {
    api.get("/demo").handler(this::describe);
    api.post("/demo/customer_messages").handler(this::customerWrites);
  }

  private void describe(RoutingContext ctx) {
    Api.answer(ctx, 200, available(Api.principal(ctx)).map(v -> new JsonObject()
        .put("channel_id", demo.channelId().toString())
        .put("phone_number_id", demo.phoneNumberId())
        .put("customer", new JsonObject().put("wa_id", DEFAULT_WA_ID).put("name", DEFAULT_NAME))));
  }

  private void customerWrites(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    JsonObject body = Api.body(ctx);
    String text = Api.requiredString(body, "text", 4096);
    String waId = body.getValue("wa_id") == null ? DEFAULT_WA_ID : Api.requiredString(body, "wa_id", 20);
    if (!waId.matches("[1-9][0-9]{6,14}")) {
      throw ApiException.invalid("wa_id must be a phone number in digits with its country code");
    }
    String name = body.getValue("name") == null ? DEFAULT_NAME : Api.requiredString(body, "name", 100);
    Api.answer(ctx, 202, available(caller)
        .compose(v -> simulator.customerWrites(demo.phoneNumberId(), waId, name, text))
        .map(written -> new JsonObject()
            .put("provider_message_id", written.wamid())
            .put("wa_id", written.waId())
            .put("name", name)));
  }

  /** Succeeds when the demo runs with the simulator and the caller belongs to the demo organization. */
  private Future<Void> available(Principal caller) {
    if (!demo.enabled() || simulator == null) {
      return Future.failedFuture(unavailable());
    }
    return channels.find(demo.channelId()).compose(channel ->
        channel.isPresent() && channel.get().organizationId().equals(caller.organizationId())
            ? Future.<Void>succeededFuture()
            : Future.failedFuture(unavailable()));
  }

  private static ApiException unavailable() {
    return new ApiException(404, "demo_unavailable",
        "the demo and its provider simulator do not run for this organization");
  }
}

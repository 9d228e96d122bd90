package dev.parley.simulator;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The simulator's HTTP server and webhook pump, on one event loop: the Graph routes, the media download URL, the
 * control API, and a 10 ms tick that posts due webhooks.
 */
final class SimulatorVerticle extends VerticleBase {
  private static final String VERSION = "/(?<version>v[0-9]+\\.[0-9]+)";
  private static final String ID = "/(?<id>[^/]+)";
  private static final long TICK_MILLIS = 10;

  private final Simulation simulation;
  private final ProviderSimulator facade;
  private HttpServer server;
  private WebhookSender sender;
  private long tick = -1;

  SimulatorVerticle(Simulation simulation, ProviderSimulator facade) {
    this.simulation = simulation;
    this.facade = facade;
  }

  @Override
  public Future<?> start() {
    SimulatorOptions options = simulation.options();
    sender = new WebhookSender(vertx, context, simulation::options, simulation::number, simulation.random);
    var messages = new MessagesRoute(vertx, simulation);
    var media = new MediaRoutes(simulation);
    var templates = new TemplateRoutes(simulation);

    Router router = Router.router(vertx);
    new ControlRoutes(facade).mount(router);
    router.get(MediaStore.DOWNLOAD_PATH).handler(media::download);
    router.postWithRegex(VERSION + ID + "/messages")
        .handler(BodyHandler.create(false).setBodyLimit(1 << 20))
        .handler(messages::handle);
    router.postWithRegex(VERSION + ID + "/media").handler(media::upload);
    router.getWithRegex(VERSION + ID + "/message_templates").handler(templates::list);
    router.getWithRegex(VERSION + ID).handler(media::info);
    router.deleteWithRegex(VERSION + ID).handler(media::delete);
    router.route().handler(ctx -> Simulation.answer(ctx, 404, new JsonObject().put("error", new JsonObject()
        .put("message", "Unknown path components: " + ctx.request().path())
        .put("type", "OAuthException")
        .put("code", 2500))));

    server = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port()));
    return server.requestHandler(router).listen().onSuccess(listening -> {
      String host = options.host().equals("0.0.0.0") ? "127.0.0.1" : options.host();
      simulation.started("http://" + host + ":" + listening.actualPort(), sender);
      tick = vertx.setPeriodic(TICK_MILLIS, id -> sender.flush());
    });
  }

  int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(tick);
    return sender.close().eventually(() -> server.close());
  }
}

package dev.parley.http;

import dev.parley.auth.Authenticator;
import dev.parley.config.ParleyConfig;
import dev.parley.ingest.Ingest;
import dev.parley.ingest.WebhookRequest;
import dev.parley.ingest.WebhookResponse;
import dev.parley.ops.HealthRoutes;
import dev.parley.ops.WebhookMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP edge: one instance per event loop, all sharing the configured port. Hands webhooks to its own
 * {@link Ingest} (on this event loop, no event-bus hop) and maps its answer to HTTP; serves the REST API, the WebSocket upgrade (handing sockets
 * to the push hub), health, metrics and the reference inbox's static files ({@code /inbox/}, from {@code webroot}). On undeploy it stops accepting
 * connections and lets requests in flight finish within the configured grace.
 */
public final class HttpVerticle extends VerticleBase {
  private static final String START = "parley.start";
  /** The inbox loads only its own files and talks only to this server. */
  private static final String INBOX_POLICY = "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
      + "connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final ParleyConfig.Http config;
  private final HealthRoutes health;
  private final PrometheusMeterRegistry registry;
  private final WebhookMetrics metrics;
  private final ApiRoutes api;
  private final int maxWebSocketFrameBytes;
  private final Ingest ingest;
  private HttpServer server;

  public HttpVerticle(ParleyConfig.Http config, HealthRoutes health, PrometheusMeterRegistry registry,
      WebhookMetrics metrics, ApiRoutes api, int maxWebSocketFrameBytes, Ingest ingest) {
    this.ingest = ingest;
    this.config = config;
    this.health = health;
    this.registry = registry;
    this.metrics = metrics;
    this.api = api;
    this.maxWebSocketFrameBytes = maxWebSocketFrameBytes;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route("/webhooks/*").handler(ctx -> {
      ctx.put(START, System.nanoTime());
      ctx.next();
    });
    router.get("/webhooks/:provider/:channel_id").handler(this::webhook);
    router.post("/webhooks/:provider/:channel_id")
        .handler(BodyHandler.create(false).setBodyLimit(config.maxWebhookBytes()))
        .handler(this::webhook);
    router.route("/webhooks/*").failureHandler(this::webhookFailure);
    api.mount(vertx, router);
    health.mount(router);
    router.get("/openapi.json").handler(ctx -> ctx.response()
        .putHeader("content-type", "application/json")
        .end(ApiRoutes.OPENAPI));
    router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    // the reference inbox: static files that use only the public REST API and WebSocket
    router.get("/").handler(ctx -> ctx.redirect("/inbox/"));
    router.get("/inbox").handler(ctx -> { // the route matches "/inbox/" too
      if (ctx.request().path().equals("/inbox")) {
        ctx.redirect("/inbox/");
      } else {
        ctx.next();
      }
    });
    router.get("/inbox/*")
        .handler(ctx -> {
          ctx.response().putHeader("Content-Security-Policy", INBOX_POLICY)
              .putHeader("X-Content-Type-Options", "nosniff")
              .putHeader("Referrer-Policy", "no-referrer");
          ctx.next();
        })
        .handler(StaticHandler.create("webroot").setDefaultContentEncoding("UTF-8").setMaxAgeSeconds(60));

    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.host())
        .setPort(config.port())
        .setCompressionSupported(false)
        .setWebSocketSubProtocols(List.of(Authenticator.BEARER_SUBPROTOCOL))
        .setMaxWebSocketFrameSize(maxWebSocketFrameBytes)
        .setMaxWebSocketMessageSize(maxWebSocketFrameBytes)
        // a client that does not complete a close (dead, or a slow consumer that cannot catch up) is cut off
        .setWebSocketClosingTimeout(5));
    return server.requestHandler(router).listen();
  }

  /** The port actually bound (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    return server.shutdown(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
  }

  private void webhook(RoutingContext ctx) {
    String provider = ctx.pathParam("provider");
    boolean subscription = ctx.request().method() == HttpMethod.GET;
    var request = new WebhookRequest(provider, ctx.pathParam("channel_id"), subscription, ctx.request().headers(),
        ctx.queryParams(), subscription ? null : ctx.body().buffer());
    if (!subscription && request.body() == null) {
      respond(ctx, provider, WebhookResponse.malformed("the body is empty"));
      return;
    }
    ingest.handle(request).onComplete(answer -> respond(ctx, provider, answer.succeeded()
        ? answer.result()
        : WebhookResponse.unavailable()));
  }

  private void respond(RoutingContext ctx, String provider, WebhookResponse answer) {
    metrics.record(provider, answer.outcome(), ctx.get(START));
    if (answer.success()) {
      boolean json = answer.body() != null && answer.body().startsWith("{");
      ctx.response().setStatusCode(answer.status())
          .putHeader("content-type", json ? "application/json" : "text/plain")
          .end(answer.body() == null ? "" : answer.body());
    } else {
      ErrorResponse.send(ctx.response(), answer.status(), answer.errorCode(), answer.errorMessage());
    }
  }

  private void webhookFailure(RoutingContext ctx) {
    int status = ctx.statusCode() == 413 ? 413 : ctx.statusCode() == 400 ? 400 : 500;
    String provider = ctx.pathParam("provider");
    Long start = ctx.get(START);
    metrics.record(provider == null ? "unknown" : provider,
        status == 413 ? "too_large" : status == 400 ? "malformed" : "error", start == null ? System.nanoTime() : start);
    if (status == 413) {
      ErrorResponse.send(ctx.response(), 413, "payload_too_large",
          "webhook bodies are limited to " + config.maxWebhookBytes() + " bytes");
    } else if (status == 400) {
      ErrorResponse.send(ctx.response(), 400, "malformed_payload", "the request could not be read");
    } else {
      ErrorResponse.send(ctx.response(), 500, "internal_error", "unexpected error");
    }
  }
}

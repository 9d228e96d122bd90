package dev.parley.ops;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import java.util.concurrent.TimeUnit;

/**
 * {@code /health/live} (the process answers) and {@code /health/ready} (PostgreSQL and Redis answer within two
 * seconds; 503 with the failing check otherwise), for load balancers and orchestrators.
 */
public final class HealthRoutes {
  private static final long TIMEOUT_MS = 2_000;

  private final Pool pool;
  private final Redis redis;

  public HealthRoutes(Pool pool, Redis redis) {
    this.pool = pool;
    this.redis = redis;
  }

  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    Future<String> postgres = check(pool.query("SELECT 1").execute());
    Future<String> redisCheck = check(redis.send(Request.cmd(Command.PING)));
    Future.join(postgres, redisCheck).onComplete(done -> {
      boolean up = postgres.succeeded() && redisCheck.succeeded();
      var checks = new JsonObject()
          .put("postgresql", postgres.succeeded() ? "UP" : "DOWN: " + postgres.cause().getMessage())
          .put("redis", redisCheck.succeeded() ? "UP" : "DOWN: " + redisCheck.cause().getMessage());
      json(ctx, up ? 200 : 503, new JsonObject().put("status", up ? "UP" : "DOWN").put("checks", checks));
    });
  }

  private Future<String> check(Future<?> probe) {
    return probe.timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).map("UP");
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}

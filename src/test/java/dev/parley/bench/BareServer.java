package dev.parley.bench;

import io.vertx.core.Future;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;

/**
 * The HTTP ceiling: a bare Vert.x HTTP server (one instance per event loop, as Parley's edge) that reads each POST
 * body whole and answers 200, doing nothing else. {@code java BareServer <port>}.
 */
public final class BareServer extends VerticleBase {
  private final int port;

  BareServer(int port) {
    this.port = port;
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer()
        .requestHandler(request -> request.body().onComplete(body -> request.response()
            .putHeader("Content-Type", "application/json").end("{\"status\":\"ok\"}")))
        .listen(port, "127.0.0.1");
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int loops = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    vertx.deployVerticle(() -> new BareServer(port), new DeploymentOptions().setInstances(loops)).await();
    System.out.println("bare HTTP server on 127.0.0.1:" + port);
  }
}

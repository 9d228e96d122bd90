package dev.parley.http;

import dev.parley.auth.AuthRoutes;
import dev.parley.auth.Authenticator;
import dev.parley.push.WebSocketEndpoint;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The authenticated surfaces: the REST API under {@code /api/v1} and the WebSocket at {@code /ws}. Every route
 * after the public ones requires a credential; every failure answers the one error shape.
 */
public final class ApiRoutes {
  private static final int MAX_BODY_BYTES = 1024 * 1024;

  private final Authenticator authenticator;
  private final AuthRoutes auth;
  private final WebSocketEndpoint webSocket;
  private final List<Routes> routes;
  private volatile List<String> operations = List.of();

  public ApiRoutes(Authenticator authenticator, AuthRoutes auth, WebSocketEndpoint webSocket, List<Routes> routes) {
    this.authenticator = authenticator;
    this.auth = auth;
    this.webSocket = webSocket;
    this.routes = routes;
  }

  public void mount(Vertx vertx, Router root) {
    Router api = Router.router(vertx);
    api.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    auth.mountPublic(api);
    api.route().handler(Api.authenticate(authenticator));
    auth.mount(api);
    routes.forEach(group -> group.mount(api));
    api.route().handler(ctx -> ctx.fail(ApiException.notFound("endpoint " + ctx.request().method() + " " + ctx.request().path())));
    api.route().failureHandler(Api::failure);
    root.route("/api/v1/*").subRouter(api);
    root.get("/ws").handler(webSocket).failureHandler(Api::failure);
    operations = operationsOf(api);
  }

  /** Every operation mounted, as {@code "GET /api/v1/users/{id}"} (what {@code /openapi.json} must describe). */
  public List<String> operations() {
    return operations;
  }

  private static List<String> operationsOf(Router api) {
    List<String> found = new ArrayList<>();
    for (Route route : api.getRoutes()) {
      // a route with path parameters keeps its declared path as its name
      String declared = route.getPath() != null ? route.getPath() : route.getName();
      if (declared != null && declared.startsWith("/") && !route.methods().isEmpty()) {
        String path = "/api/v1" + declared.replaceAll(":([a-z_]+)", "{$1}");
        route.methods().forEach(method -> found.add(method.name() + " " + path));
      }
    }
    found.add("GET /ws");
    return List.copyOf(found);
  }
}

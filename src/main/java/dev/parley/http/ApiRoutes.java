package dev.parley.http;

import dev.parley.auth.AuthRoutes;
import dev.parley.auth.Authenticator;
import dev.parley.push.WebSocketEndpoint;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The authenticated surfaces: the REST API under {@code /api/v1}, the compatibility routes of the multi-channel
 * platform's integrations under {@code /rest/v1} and {@code /functions/v1}, and the WebSocket at {@code /ws}. Every
 * route after the public ones requires a credential; every failure answers the one error shape (under
 * {@code /functions/v1} in the platform's own: {@code {"success":false,"error":{…}}}).
 */
public final class ApiRoutes {
  private static final int MAX_BODY_BYTES = 1024 * 1024;
  /** The OpenAPI document of the whole HTTP surface, kept in step with the routes by a test. */
  static final String OPENAPI = resource("/openapi.json");
  private static final JsonObject OPENAPI_DOCUMENT = new JsonObject(OPENAPI);

  private final Authenticator authenticator;
  private final AuthRoutes auth;
  private final WebSocketEndpoint webSocket;
  private final List<Routes> routes;
  private final List<Routes> compat;
  private final List<Routes> functions;
  private volatile List<String> operations = List.of();

  public ApiRoutes(Authenticator authenticator, AuthRoutes auth, WebSocketEndpoint webSocket, List<Routes> routes,
      List<Routes> compat, List<Routes> functions) {
    this.authenticator = authenticator;
    this.auth = auth;
    this.webSocket = webSocket;
    this.routes = routes;
    this.compat = compat;
    this.functions = functions;
  }

  public void mount(Vertx vertx, Router root) {
    Router api = Router.router(vertx);
    BodyHandler json = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
    api.route().handler(ctx -> {
      if (multipart(ctx)) {
        // a file upload: its route reads it to disk with its own limit, once the caller is authenticated
        ctx.request().pause();
        ctx.next();
      } else {
        json.handle(ctx);
      }
    });
    api.route().handler(RequestChecks.storableText());
    RequestChecks.mountBodySchemas(api, "/api/v1", OPENAPI_DOCUMENT);
    auth.mountPublic(api);
    api.route().handler(Api.authenticate(authenticator));
    auth.mount(api);
    routes.forEach(group -> group.mount(api));
    endWith(api);
    root.route("/api/v1/*").subRouter(api);

    Router rest = Router.router(vertx);
    rest.route().handler(RequestChecks.storableText());
    rest.route().handler(Api.authenticate(authenticator));
    compat.forEach(group -> group.mount(rest));
    endWith(rest);
    root.route("/rest/v1/*").subRouter(rest);

    Router platform = Router.router(vertx);
    platform.route().handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES));
    platform.route().handler(RequestChecks.storableText());
    RequestChecks.mountBodySchemas(platform, "/functions/v1", OPENAPI_DOCUMENT);
    platform.route().handler(Api.authenticate(authenticator));
    functions.forEach(group -> group.mount(platform));
    platform.route().handler(ctx -> ctx.fail(ApiException.notFound("endpoint " + ctx.request().method() + " " + ctx.request().path())));
    platform.route().failureHandler(Api::platformFailure);
    root.route("/functions/v1/*").subRouter(platform);

    root.get("/ws").handler(RequestChecks.storableText()).handler(webSocket).failureHandler(Api::failure);
    List<String> found = new ArrayList<>(operationsOf(api, "/api/v1"));
    found.addAll(operationsOf(rest, "/rest/v1"));
    found.addAll(operationsOf(platform, "/functions/v1"));
    found.add("GET /ws");
    operations = List.copyOf(found);
  }

  private static boolean multipart(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    return type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data");
  }

  private static void endWith(Router router) {
    router.route().handler(ctx -> ctx.fail(ApiException.notFound("endpoint " + ctx.request().method() + " " + ctx.request().path())));
    router.route().failureHandler(Api::failure);
  }

  /** Every operation mounted, as {@code "GET /api/v1/users/{id}"} (what {@code /openapi.json} must describe). */
  public List<String> operations() {
    return operations;
  }

  private static String resource(String name) {
    try (var in = ApiRoutes.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.io.IOException | NullPointerException e) {
      throw new IllegalStateException(name + " missing from the classpath", e);
    }
  }

  private static List<String> operationsOf(Router router, String prefix) {
    List<String> found = new ArrayList<>();
    for (Route route : router.getRoutes()) {
      // a route with path parameters keeps its declared path as its name
      String declared = route.getPath() != null ? route.getPath() : route.getName();
      if (declared != null && declared.startsWith("/") && !route.methods().isEmpty()
          && !RequestChecks.BODY_CHECK.equals(route.getName())) {
        String path = prefix + declared.replaceAll(":([a-z_]+)", "{$1}");
        route.methods().forEach(method -> found.add(method.name() + " " + path));
      }
    }
    return found;
  }
}

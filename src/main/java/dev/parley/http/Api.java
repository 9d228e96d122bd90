package dev.parley.http;

import dev.parley.auth.Authenticator;
import dev.parley.auth.Principal;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every {@code /api/v1} route shares: authentication, role checks, JSON bodies, answers and errors. */
public final class Api {
  private static final Logger log = LoggerFactory.getLogger(Api.class);
  private static final String PRINCIPAL = "parley.principal";

  private Api() {}

  /** Authenticates the caller (token or API key) and keeps the principal for the routes after it. */
  public static Handler<RoutingContext> authenticate(Authenticator authenticator) {
    return ctx -> authenticator.authenticate(Authenticator.fromHeaders(ctx.request()))
        .onSuccess(principal -> {
          ctx.put(PRINCIPAL, principal);
          ctx.next();
        })
        .onFailure(ctx::fail);
  }

  public static Principal principal(RoutingContext ctx) {
    Principal principal = ctx.get(PRINCIPAL);
    if (principal == null) {
      throw new IllegalStateException("route mounted without authentication");
    }
    return principal;
  }

  /** The caller, who must be an admin user. */
  public static Principal admin(RoutingContext ctx) {
    Principal principal = principal(ctx);
    if (!principal.isAdmin()) {
      throw ApiException.forbidden("only an admin may do this");
    }
    return principal;
  }

  /** The request body as a JSON object; 400 when it is missing or not an object. */
  public static JsonObject body(RoutingContext ctx) {
    try {
      JsonObject body = ctx.body().asJsonObject();
      if (body == null) {
        throw ApiException.invalid("a JSON object body is required");
      }
      return body;
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.invalid("the body is not a JSON object");
    }
  }

  /** A required, non-blank string field of {@code body}. */
  public static String requiredString(JsonObject body, String field, int maxLength) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiException.invalid(field + " is required");
    }
    if (text.length() > maxLength) {
      throw ApiException.invalid(field + " is longer than " + maxLength + " characters");
    }
    return text;
  }

  /** An optional {@code true}/{@code false} query parameter; 400 for anything else. */
  public static Boolean booleanParam(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    if (value == null) {
      return null;
    }
    if (value.equals("true") || value.equals("false")) {
      return Boolean.valueOf(value);
    }
    throw ApiException.invalid(name + " must be true or false");
  }

  /** An id given in a body field: null when null, {@code 400 invalid_request} with {@code message} when not an id. */
  public static UUID id(Object value, String message) {
    if (value == null) {
      return null;
    }
    try {
      return UUID.fromString((String) value);
    } catch (ClassCastException | IllegalArgumentException e) {
      throw ApiException.invalid(message);
    }
  }

  /** An optional id query parameter ({@code ?contact_id=}): null when absent or empty, 400 when not an id. */
  public static UUID idParam(RoutingContext ctx, String name) {
    String value = ctx.request().getParam(name);
    return value == null || value.isEmpty() ? null : id(value, name + " is not an id");
  }

  public static UUID uuidParam(RoutingContext ctx, String name, String what) {
    try {
      return UUID.fromString(ctx.pathParam(name));
    } catch (IllegalArgumentException e) {
      throw ApiException.notFound(what);
    }
  }

  public static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  /** Answers {@code future}'s JSON with {@code status}, or its failure as an error. */
  public static void answer(RoutingContext ctx, int status, Future<JsonObject> future) {
    future.onSuccess(body -> json(ctx, status, body)).onFailure(ctx::fail);
  }

  /** The failure handler of the API: {@link ApiException} as itself, anything else as a logged 500 (or 503). */
  public static void failure(RoutingContext ctx) {
    failure(ctx, ErrorResponse::send);
  }

  /**
   * The failure handler of the multi-channel platform's {@code /functions/v1} routes: the same statuses and codes,
   * answered in that platform's shape {@code {"success":false,"error":{"code","message"}}}.
   */
  public static void platformFailure(RoutingContext ctx) {
    failure(ctx, ErrorResponse::sendPlatform);
  }

  private interface ErrorWriter {
    void write(io.vertx.core.http.HttpServerResponse response, int status, String code, String message);
  }

  private static void failure(RoutingContext ctx, ErrorWriter error) {
    if (ctx.response().ended()) {
      return;
    }
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      error.write(ctx.response(), api.status(), api.code(), api.getMessage());
    } else if (failure instanceof io.netty.handler.codec.DecoderException) {
      // a form or multipart body Netty cannot decode (a part header over its limits, a malformed part): the
      // client's fault, whatever part of the body it was
      error.write(ctx.response(), 400, "invalid_request", "the request body could not be decoded");
    } else if (failure == null && ctx.statusCode() == 413) {
      error.write(ctx.response(), 413, "payload_too_large", "the request body is too large");
    } else if (failure == null && ctx.statusCode() == 404) {
      error.write(ctx.response(), 404, "not_found", "no such endpoint");
    } else if (failure == null && ctx.statusCode() == 405) {
      error.write(ctx.response(), 405, "method_not_allowed", "this endpoint does not accept " + ctx.request().method());
    } else if (failure == null && ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      error.write(ctx.response(), ctx.statusCode(), "invalid_request", "the request could not be read");
    } else if (unavailable(failure)) {
      log.warn("{} {} failed: {}", ctx.request().method(), ctx.request().path(), failure.toString());
      error.write(ctx.response(), 503, "store_unavailable", "the store is unavailable; try again");
    } else {
      log.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
      error.write(ctx.response(), 500, "internal_error", "unexpected error");
    }
  }

  /** A store that cannot be reached (or is shutting down, or out of connections) rather than a bug. */
  private static boolean unavailable(Throwable failure) {
    if (failure instanceof io.vertx.pgclient.PgException pg) {
      String state = pg.getSqlState() == null ? "" : pg.getSqlState();
      return state.startsWith("08") || state.startsWith("53") || state.startsWith("57");
    }
    return failure instanceof java.net.ConnectException
        || failure instanceof io.vertx.core.VertxException
        || failure instanceof java.util.concurrent.TimeoutException;
  }
}

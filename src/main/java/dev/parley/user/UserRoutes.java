package dev.parley.user;

import dev.parley.auth.PasswordHasher;
import dev.parley.auth.Principal;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.store.UserStore;
import dev.parley.store.UserStore.UserRow;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@code /api/v1/users}: everyone in the organization may list and read its users; only admins create them,
 * change roles, names and passwords, and deactivate or reactivate them ({@code PATCH} with {@code active}).
 * The last active admin cannot be demoted or deactivated.
 */
public final class UserRoutes implements Routes {
  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
  private static final Set<String> ROLES = Set.of(Principal.ADMIN, Principal.AGENT);

  private final Vertx vertx;
  private final UserStore users;

  public UserRoutes(Vertx vertx, UserStore users) {
    this.vertx = vertx;
    this.users = users;
  }

  @Override
  public void mount(Router api) {
    api.get("/users").handler(this::list);
    api.get("/users/:id").handler(this::read);
    api.post("/users").handler(this::create);
    api.patch("/users/:id").handler(this::update);
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    String role = ctx.request().getParam("role");
    if (role != null && !ROLES.contains(role)) {
      throw ApiException.invalid("role must be admin or agent");
    }
    Boolean active = Api.booleanParam(ctx, "active");
    OffsetDateTime afterCreated = page.key(0, OffsetDateTime::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, users.list(caller.organizationId(), role, active, afterCreated, afterId, page.limit() + 1)
        .map(rows -> page.answer(rows, UserRow::toJson,
            last -> Page.cursor(last.createdAt().toString(), last.id().toString()))));
  }

  private void read(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Api.answer(ctx, 200, users.findById(caller.organizationId(), Api.uuidParam(ctx, "id", "user"))
        .map(found -> found.orElseThrow(() -> ApiException.notFound("user")).toJson()));
  }

  private void create(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    JsonObject body = Api.body(ctx);
    String email = Api.requiredString(body, "email", 320).trim();
    if (!EMAIL.matcher(email).matches()) {
      throw ApiException.invalid("email is not an e-mail address");
    }
    String name = Api.requiredString(body, "name", 200).trim();
    String role = role(body.getValue("role", Principal.AGENT));
    String password = password(body.getValue("password"));
    Api.answer(ctx, 201, hash(password)
        .compose(hash -> users.create(admin.organizationId(), email, name, role, hash))
        .map(UserRow::toJson)
        .recover(UserRoutes::translate));
  }

  private void update(RoutingContext ctx) {
    Principal admin = Api.admin(ctx);
    UUID id = Api.uuidParam(ctx, "id", "user");
    JsonObject body = Api.body(ctx);
    String name = body.containsKey("name") ? Api.requiredString(body, "name", 200).trim() : null;
    String role = body.containsKey("role") ? role(body.getValue("role")) : null;
    Object activeValue = body.getValue("active");
    if (body.containsKey("active") && !(activeValue instanceof Boolean)) {
      throw ApiException.invalid("active must be true or false");
    }
    Boolean active = (Boolean) activeValue;
    Future<String> hash = body.containsKey("password") ? hash(password(body.getValue("password"))) : Future.succeededFuture();
    Api.answer(ctx, 200, hash
        .compose(passwordHash -> users.update(admin.organizationId(), id, name, role, active, passwordHash))
        .map(found -> found.orElseThrow(() -> ApiException.notFound("user")).toJson())
        .recover(UserRoutes::translate));
  }

  private Future<String> hash(String password) {
    return vertx.executeBlocking(() -> PasswordHasher.hash(password), false);
  }

  private static String role(Object value) {
    if (!(value instanceof String role) || !ROLES.contains(role)) {
      throw ApiException.invalid("role must be admin or agent");
    }
    return role;
  }

  private static String password(Object value) {
    if (!(value instanceof String password) || password.length() < 8 || password.length() > 1024) {
      throw ApiException.invalid("password must have 8 to 1024 characters");
    }
    return password;
  }

  private static <T> Future<T> translate(Throwable failure) {
    if (failure instanceof UserStore.EmailTaken) {
      return Future.failedFuture(new ApiException(409, "email_taken", "a user with this e-mail address exists"));
    }
    if (failure instanceof UserStore.LastAdmin) {
      return Future.failedFuture(new ApiException(409, "last_admin",
          "the organization must keep at least one active admin"));
    }
    return Future.failedFuture(failure);
  }
}

package dev.parley.canned;

import dev.parley.auth.Principal;
import dev.parley.conversation.Committer;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.store.CannedResponseStore;
import dev.parley.store.CannedResponseStore.CannedResponseRow;
import dev.parley.store.ContactRow;
import dev.parley.store.ContactStore;
import dev.parley.store.ConversationStore;
import dev.parley.store.UserStore;
import dev.parley.store.UserStore.UserRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /api/v1/canned_responses}: saved replies shared by the whole organization (as in a shared team inbox:
 * everyone sees and uses every reply). Everyone may create one; admins and services (API keys) edit and delete any,
 * an agent only those they created ({@code 403 not_owner}). Short codes ({@code [a-z0-9_-]{1,32}}, stored in lower
 * case) are unique per organization ({@code 409 short_code_taken}); a body may use only the variables of
 * {@link CannedVariables} ({@code 422 unknown_variable}). {@code /render} fills them in for a conversation's or a
 * contact's contact.
 */
public final class CannedResponseRoutes implements Routes {
  static final int MAX_BODY = 4096;
  static final int MAX_TITLE = 200;
  private static final Set<String> FIELDS = Set.of("short_code", "title", "body");

  private final Pool pool;
  private final Committer committer;
  private final UserStore users;
  private final CannedResponseStore canned = new CannedResponseStore();
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();

  public CannedResponseRoutes(Pool pool, Committer committer, UserStore users) {
    this.pool = pool;
    this.committer = committer;
    this.users = users;
  }

  @Override
  public void mount(Router api) {
    api.get("/canned_responses").handler(this::list);
    api.post("/canned_responses").handler(this::create);
    api.get("/canned_responses/:id").handler(this::read);
    api.patch("/canned_responses/:id").handler(this::update);
    api.delete("/canned_responses/:id").handler(this::delete);
    api.post("/canned_responses/:id/render").handler(this::render);
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    String q = ctx.request().getParam("q");
    if (q != null && q.length() > 200) {
      throw ApiException.invalid("q is longer than 200 characters");
    }
    Api.answer(ctx, 200, canned.list(pool, caller.organizationId(), q == null || q.isBlank() ? null : q.strip(),
            page.key(0, code -> code), page.limit() + 1)
        .map(rows -> page.answer(rows, CannedResponseRow::toJson, last -> Page.cursor(last.shortCode()))));
  }

  private void read(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "canned response");
    Api.answer(ctx, 200, canned.get(pool, caller.organizationId(), id).map(found -> existing(found).toJson()));
  }

  private void create(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    JsonObject body = fields(Api.body(ctx));
    var row = new CannedResponseRow(UUID.randomUUID(), caller.organizationId(), shortCode(body),
        Api.requiredString(body, "title", MAX_TITLE).strip(), text(body), caller.id(),
        caller.isUser() ? "user" : "service", null, null);
    Api.answer(ctx, 201, committer.transaction((tx, changes) -> canned.insert(tx, row))
        .map(CannedResponseRow::toJson).recover(CannedResponseRoutes::translate));
  }

  private void update(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "canned response");
    JsonObject body = fields(Api.body(ctx));
    String shortCode = body.containsKey("short_code") ? shortCode(body) : null;
    String title = body.containsKey("title") ? Api.requiredString(body, "title", MAX_TITLE).strip() : null;
    String text = body.containsKey("body") ? text(body) : null;
    Api.answer(ctx, 200, committer.transaction((tx, changes) -> canned.lock(tx, caller.organizationId(), id)
            .compose(found -> {
              CannedResponseRow current = mayChange(caller, existing(found));
              return canned.save(tx, current.with(shortCode == null ? current.shortCode() : shortCode,
                  title == null ? current.title() : title, text == null ? current.body() : text));
            }))
        .map(CannedResponseRow::toJson).recover(CannedResponseRoutes::translate));
  }

  private void delete(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "canned response");
    committer.transaction((tx, changes) -> canned.lock(tx, caller.organizationId(), id)
            .compose(found -> canned.delete(tx, caller.organizationId(), mayChange(caller, existing(found)).id())))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * {@code {"conversation_id"}} or {@code {"contact_id"}} → {@code {"text"}}: the body with the contact's fields and
   * the agent's name (the caller; for an API key, the conversation's assignee) filled in.
   */
  private void render(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "canned response");
    JsonObject body = Api.body(ctx);
    UUID conversationId = Api.id(body.getValue("conversation_id"), "conversation_id must be a conversation id");
    UUID contactId = Api.id(body.getValue("contact_id"), "contact_id must be a contact id");
    if ((conversationId == null) == (contactId == null)) {
      throw ApiException.invalid("give either conversation_id or contact_id");
    }
    UUID org = caller.organizationId();
    Api.answer(ctx, 200, canned.get(pool, org, id).map(CannedResponseRoutes::existing).compose(reply ->
        subject(caller, conversationId, contactId).map(subject ->
            new JsonObject().put("text", CannedVariables.render(reply.body(),
                CannedVariables.values(subject.contact(), subject.agentName()))))));
  }

  private record Subject(ContactRow contact, String agentName) {}

  /** The contact to render for, and the agent's name; 404 for anything outside the caller's organization. */
  private Future<Subject> subject(Principal caller, UUID conversationId, UUID contactId) {
    UUID org = caller.organizationId();
    if (contactId != null) {
      return contact(pool, org, contactId).map(contact -> new Subject(contact, caller.isUser() ? caller.name() : null));
    }
    return conversations.find(pool, conversationId).compose(found -> {
      var conversation = found.filter(row -> row.organizationId().equals(org))
          .orElseThrow(() -> ApiException.notFound("conversation"));
      Future<String> agent = caller.isUser() || conversation.assigneeId() == null
          ? Future.succeededFuture(caller.isUser() ? caller.name() : null)
          : users.findById(org, conversation.assigneeId()).map(user -> user.map(UserRow::name).orElse(null));
      return contact(pool, org, conversation.contactId())
          .compose(contact -> agent.map(name -> new Subject(contact, name)));
    });
  }

  private Future<ContactRow> contact(SqlClient client, UUID org, UUID id) {
    return contacts.find(client, org, id).map(found -> found.orElseThrow(() -> ApiException.notFound("contact")));
  }

  /** Refuses fields other than short_code, title and body. */
  private static JsonObject fields(JsonObject body) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiException.invalid("unknown field " + field + " (short_code, title and body can be set)");
      }
    }
    return body;
  }

  private static String shortCode(JsonObject body) {
    if (!(body.getValue("short_code") instanceof String text)) {
      throw ApiException.invalid("short_code is required");
    }
    String code = text.strip().toLowerCase(Locale.ROOT);
    if (!code.matches("[a-z0-9_-]{1,32}")) {
      throw ApiException.invalid("short_code must be 1 to 32 letters, digits, _ or -");
    }
    return code;
  }

  private static String text(JsonObject body) {
    String text = Api.requiredString(body, "body", MAX_BODY);
    List<String> unknown = CannedVariables.unknown(text);
    if (!unknown.isEmpty()) {
      throw new ApiException(422, "unknown_variable", "unknown variable(s) " + String.join(", ", unknown.stream()
          .map(name -> "{{" + name + "}}").toList()) + "; use " + String.join(", ", CannedVariables.NAMES.stream()
          .map(name -> "{{" + name + "}}").toList()));
    }
    return text;
  }

  private static CannedResponseRow existing(Optional<CannedResponseRow> found) {
    return found.orElseThrow(() -> ApiException.notFound("canned response"));
  }

  /** Admins and services change any canned response; an agent only their own. */
  private static CannedResponseRow mayChange(Principal caller, CannedResponseRow row) {
    boolean agent = caller.isUser() && !caller.isAdmin();
    if (agent && !("user".equals(row.createdByType()) && caller.id().equals(row.createdBy()))) {
      throw new ApiException(403, "not_owner", "an agent may change only the canned responses they created");
    }
    return row;
  }

  private static <T> Future<T> translate(Throwable failure) {
    return Future.failedFuture(failure instanceof CannedResponseStore.ShortCodeTaken
        ? new ApiException(409, "short_code_taken", "another canned response already uses this short code")
        : failure);
  }
}

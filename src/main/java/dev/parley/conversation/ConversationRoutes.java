package dev.parley.conversation;

import dev.parley.auth.Principal;
import dev.parley.bus.OrgEvent;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.store.ContactStore;
import dev.parley.store.ConversationCache;
import dev.parley.store.ConversationCache.CachedState;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.ConversationStore.ListFilter;
import dev.parley.store.ConversationStore.Listed;
import dev.parley.store.MessageStore;
import dev.parley.store.NoteStore;
import dev.parley.store.NoteStore.NoteRow;
import dev.parley.store.UserStore;
import dev.parley.store.UserStore.UserRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code /api/v1/conversations}: the inbox list and everything an agent does to a conversation. Who may act:
 * admins and services on any conversation; an agent on conversations assigned to them or to nobody
 * ({@code 403 not_owner} otherwise). Labels, notes and mark-unread are open to everyone in the organization.
 * Every change commits, then publishes {@code conversation.updated} (and a system message for assignment, status
 * and handoff changes) through the {@link Committer}.
 */
public final class ConversationRoutes implements Routes {
  private static final Set<String> STATUSES = Set.of("open", "closed");
  private static final int MAX_LABEL_LENGTH = 50;
  private static final int MAX_LABELS = 20;
  private static final int MAX_NOTE_LENGTH = 10_000;

  private final Pool pool;
  private final Committer committer;
  private final ConversationCache cache;
  private final UserStore users;
  private final Consumer<JsonObject> readAtProvider;
  private final MessageStore messages = new MessageStore();
  private final ConversationStore conversations = new ConversationStore();
  private final ContactStore contacts = new ContactStore();
  private final NoteStore notes = new NoteStore();
  private final Timeline timeline = new Timeline();

  /**
   * @param readAtProvider called after the assignee read a conversation with unread messages, with
   *     {@code {"channel_id","provider_message_id"}} of the last inbound message (null: do not tell the provider)
   */
  public ConversationRoutes(Pool pool, Committer committer, ConversationCache cache, UserStore users,
      Consumer<JsonObject> readAtProvider) {
    this.readAtProvider = readAtProvider;
    this.pool = pool;
    this.committer = committer;
    this.cache = cache;
    this.users = users;
  }

  @Override
  public void mount(Router api) {
    api.get("/conversations").handler(this::list);
    api.get("/conversations/:id").handler(this::detail);
    api.get("/conversations/:id/earlier").handler(this::earlier);
    api.post("/conversations/:id/assign").handler(this::assign);
    api.post("/conversations/:id/unassign").handler(this::unassign);
    api.post("/conversations/:id/close").handler(ctx -> status(ctx, "closed"));
    api.post("/conversations/:id/reopen").handler(ctx -> status(ctx, "open"));
    api.post("/conversations/:id/labels").handler(this::addLabels);
    api.delete("/conversations/:id/labels/:label").handler(this::removeLabel);
    api.get("/conversations/:id/notes").handler(this::listNotes);
    api.post("/conversations/:id/notes").handler(this::addNote);
    api.put("/conversations/:id/bot").handler(this::bot);
    api.post("/conversations/:id/handoff").handler(this::handoff);
    api.post("/conversations/:id/read").handler(this::read);
    api.post("/conversations/:id/unread").handler(this::unread);
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    String status = ctx.request().getParam("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ApiException.invalid("status must be open or closed");
    }
    String assignee = ctx.request().getParam("assignee");
    UUID assigneeId = null;
    boolean unassigned = "unassigned".equals(assignee);
    if ("me".equals(assignee)) {
      if (!caller.isUser()) {
        throw ApiException.invalid("assignee=me needs a signed-in user; an API key has no conversations of its own");
      }
      assigneeId = caller.id();
    } else if (assignee != null && !unassigned) {
      assigneeId = Api.id(assignee, "assignee must be me, unassigned or a user id");
    }
    String label = ctx.request().getParam("label");
    String text = ctx.request().getParam("q");
    if (text != null && (text.isBlank() || text.length() > 200)) {
      throw ApiException.invalid("q must have 1 to 200 characters");
    }
    Boolean unreadOnly = Api.booleanParam(ctx, "unread");
    var filter = new ListFilter(status, assigneeId, unassigned,
        Api.idParam(ctx, "channel_id"), label == null || label.isEmpty() ? null : label,
        Boolean.TRUE.equals(unreadOnly), text == null ? null : text.strip());
    Instant afterActivity = page.key(0, Instant::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, conversations.list(pool, caller.organizationId(), filter, afterActivity, afterId, page.limit() + 1)
        .compose(rows -> withCounters(caller.organizationId(), rows))
        .map(rows -> page.answer(rows, Listed::toJson,
            last -> Page.cursor(last.row().lastMessageAt().toString(), last.row().id().toString()))));
  }

  /**
   * The unread counts and window expiries Redis holds, where they are newer than the rows read (one HMGET for the
   * whole page). Without Redis the rows' own values stand: PostgreSQL has the truth.
   */
  private Future<List<Listed>> withCounters(UUID organizationId, List<Listed> rows) {
    List<UUID> ids = rows.stream().map(listed -> listed.row().id()).toList();
    return cache.get(organizationId, ids)
        .map(states -> {
          List<Listed> merged = new ArrayList<>(rows.size());
          for (Listed listed : rows) {
            CachedState state = states.get(listed.row().id());
            merged.add(state != null && state.version() > listed.row().version()
                ? listed.withRow(listed.row().withCounters(state.unreadCount(), state.windowExpiresAt()))
                : listed);
          }
          return merged;
        })
        .otherwise(rows);
  }

  private void detail(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Api.answer(ctx, 200, view(caller.organizationId(), id)
        .compose(json -> conversations.assignments(pool, id).map(history -> json.put("assignments", history))));
  }

  private void earlier(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Page page = Page.of(ctx);
    OffsetDateTime afterCreated = page.key(0, OffsetDateTime::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, find(caller.organizationId(), id)
        .compose(conversation -> conversations.earlier(pool, caller.organizationId(), conversation, afterCreated, afterId,
            page.limit() + 1))
        .map(rows -> page.answer(rows, row -> row,
            last -> Page.cursor(last.getString("started_at"), last.getString("id")))));
  }

  private void assign(RoutingContext ctx) {
    JsonObject body = Api.body(ctx);
    if (!body.containsKey("user_id")) {
      throw ApiException.invalid("user_id is required (null unassigns)");
    }
    UUID userId = Api.id(body.getValue("user_id"), "user_id must be a user id or null");
    changeAssignee(ctx, userId);
  }

  private void unassign(RoutingContext ctx) {
    changeAssignee(ctx, null);
  }

  /**
   * One active assignee: admins and services assign anyone; an agent takes an unassigned conversation for
   * themselves, or hands over (or drops) one assigned to them. Assigning changes no read state.
   */
  private void changeAssignee(RoutingContext ctx, UUID userId) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Future<Optional<UserRow>> assignee = userId == null
        ? Future.succeededFuture(Optional.empty())
        : users.findById(caller.organizationId(), userId).map(found -> {
          if (found.isEmpty() || !found.get().active()) {
            throw new ApiException(400, "invalid_assignee", "user_id is not an active user of this organization");
          }
          return found;
        });
    respond(ctx, caller, id, assignee.compose(user -> committer.transaction((tx, changes) ->
        locked(tx, caller, id).compose(conversation -> {
          UUID current = conversation.assigneeId();
          if (!caller.isAdmin() && caller.isUser()) {
            boolean ownsIt = caller.id().equals(current);
            boolean takesFree = current == null && caller.id().equals(userId);
            if (!ownsIt && !takesFree) {
              throw new ApiException(403, "not_owner",
                  "an agent may take an unassigned conversation or hand over their own; ask an admin");
            }
          }
          if (Objects.equals(current, userId)) {
            return Future.succeededFuture();
          }
          String text = user.map(u -> "Assigned to " + u.name() + " by " + caller.name())
              .orElse("Unassigned by " + caller.name());
          JsonObject content = new JsonObject().put("event", "conversation.assigned")
              .put("assignee_id", userId == null ? null : userId.toString())
              .put("previous_assignee_id", current == null ? null : current.toString())
              .put("by", caller.id().toString());
          return conversations.assign(tx, conversation, userId, caller.userId())
              .compose(v -> userId == null ? Future.succeededFuture() : claimContact(tx, conversation, userId, changes))
              .compose(v -> system(tx, conversation, text, content, changes));
        }))));
  }

  /** A contact nobody owns yet is owned by the agent the chat goes to (the spec's rule for auto-created ones). */
  private Future<Void> claimContact(SqlConnection tx, ConversationRow conversation, UUID userId, Changes changes) {
    return contacts.claimOwner(tx, conversation.contactId(), userId).compose(claimed -> !claimed
        ? Future.succeededFuture()
        : contacts.find(tx, conversation.organizationId(), conversation.contactId()).map(contact -> {
          contact.ifPresent(row -> changes.event(OrgEvent.CONTACT_UPDATED, conversation.organizationId(), row.toJson()));
          return null;
        }));
  }

  private void status(RoutingContext ctx, String status) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    respond(ctx, caller, id, committer.transaction((tx, changes) -> locked(tx, caller, id).compose(conversation -> {
      mayWork(caller, conversation);
      if (conversation.status().equals(status)) {
        return Future.succeededFuture();
      }
      boolean closing = status.equals("closed");
      String text = (closing ? "Conversation closed by " : "Conversation reopened by ") + caller.name();
      JsonObject content = new JsonObject().put("event", closing ? "conversation.closed" : "conversation.reopened")
          .put("by", caller.id().toString());
      return conversations.setStatus(tx, id, status)
          .compose(v -> system(tx, conversation, text, content, changes));
    })).recover(failure -> {
      if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())) {
        return Future.failedFuture(new ApiException(409, "open_conversation_exists",
            "the contact already has an open conversation on this channel; work on that one"));
      }
      return Future.failedFuture(failure);
    }));
  }

  private void addLabels(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Object value = Api.body(ctx).getValue("labels");
    if (!(value instanceof JsonArray array) || array.isEmpty() || array.size() > MAX_LABELS) {
      throw ApiException.invalid("labels must be an array of 1 to " + MAX_LABELS + " labels");
    }
    List<String> labels = new ArrayList<>();
    for (Object label : array) {
      labels.add(label(label));
    }
    changeLabels(ctx, caller, id, labels, List.of());
  }

  private void removeLabel(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    changeLabels(ctx, caller, id, List.of(), List.of(label(ctx.pathParam("label"))));
  }

  private void changeLabels(RoutingContext ctx, Principal caller, UUID id, List<String> add, List<String> remove) {
    respond(ctx, caller, id, committer.transaction((tx, changes) -> locked(tx, caller, id).compose(conversation -> {
      var after = new TreeSet<>(conversation.labels());
      after.addAll(add);
      remove.forEach(after::remove);
      if (after.equals(new TreeSet<>(conversation.labels()))) {
        return Future.succeededFuture();
      }
      return conversations.changeLabels(tx, id, add, remove)
          .compose(updated -> timeline.updated(tx, updated, changes));
    })));
  }

  private void listNotes(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Page page = Page.of(ctx);
    OffsetDateTime afterCreated = page.key(0, OffsetDateTime::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, find(caller.organizationId(), id)
        .compose(conversation -> notes.list(pool, caller.organizationId(), NoteStore.Subject.CONVERSATION, id,
            afterCreated, afterId, page.limit() + 1))
        .map(rows -> page.answer(rows, NoteRow::toJson,
            last -> Page.cursor(last.createdAt().toString(), last.id().toString()))));
  }

  private void addNote(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    String body = Api.requiredString(Api.body(ctx), "body", MAX_NOTE_LENGTH);
    Api.answer(ctx, 201, find(caller.organizationId(), id)
        .compose(conversation -> notes.add(pool, caller.organizationId(), NoteStore.Subject.CONVERSATION, id,
            caller.id(), caller.isUser() ? "user" : "service", body))
        .map(NoteRow::toJson));
  }

  /**
   * An internal service reports its bot's state: {@code running} (agents' manual sending is disabled until one
   * takes over), {@code failed} or {@code done} (back to {@code none}).
   */
  private void bot(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    if (caller.isUser()) {
      throw new ApiException(403, "service_only", "only an internal service (API key) reports a bot's state");
    }
    Object value = Api.body(ctx).getValue("state");
    String state = switch (value instanceof String text ? text : "") {
      case "running" -> "running";
      case "failed" -> "failed";
      case "done" -> "none";
      default -> throw ApiException.invalid("state must be running, failed or done");
    };
    respond(ctx, caller, id, committer.transaction((tx, changes) -> locked(tx, caller, id).compose(conversation -> {
      if (conversation.botState().equals(state) && caller.name().equals(conversation.botName())) {
        return Future.succeededFuture();
      }
      return conversations.setBot(tx, id, state, state.equals("none") ? null : caller.name())
          .compose(updated -> timeline.updated(tx, updated, changes));
    })));
  }

  /** An agent takes over from a running (or failed) bot, and becomes the conversation's assignee. */
  private void handoff(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    if (!caller.isUser()) {
      throw new ApiException(403, "user_only", "a handoff hands the conversation to a person: sign in as one");
    }
    respond(ctx, caller, id, committer.transaction((tx, changes) -> locked(tx, caller, id).compose(conversation -> {
      mayWork(caller, conversation);
      if (!conversation.botState().equals("running") && !conversation.botState().equals("failed")) {
        throw new ApiException(409, "no_bot_running", "no bot is running on this conversation");
      }
      String text = caller.name() + " took over from the bot"
          + (conversation.botName() == null ? "" : " (" + conversation.botName() + ")");
      JsonObject content = new JsonObject().put("event", "conversation.handoff").put("by", caller.id().toString())
          .put("bot_name", conversation.botName());
      Future<?> assigned = caller.id().equals(conversation.assigneeId())
          ? Future.succeededFuture()
          : conversations.assign(tx, conversation, caller.id(), caller.id())
              .compose(v -> claimContact(tx, conversation, caller.id(), changes));
      return assigned.compose(v -> conversations.setBot(tx, id, "handoff", conversation.botName()))
          .compose(v -> system(tx, conversation, text, content, changes));
    })));
  }

  /**
   * Only the assignee reading the conversation clears its unread count; anyone else's read changes nothing and
   * the answer says why ({@code unassigned} or {@code not_assignee}).
   */
  private void read(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Api.answer(ctx, 200, committer.transaction((tx, changes) -> locked(tx, caller, id).compose(conversation -> {
      if (conversation.assigneeId() == null) {
        return Future.succeededFuture("unassigned");
      }
      if (!conversation.assigneeId().equals(caller.userId())) {
        return Future.succeededFuture("not_assignee");
      }
      if (conversation.unreadCount() == 0) {
        return Future.succeededFuture((String) null);
      }
      return conversations.markRead(tx, id).compose(updated -> timeline.updated(tx, updated, changes))
          .compose(v -> readAtProvider == null
              ? Future.succeededFuture()
              : messages.lastInbound(tx, id).map(last -> {
                last.ifPresent(message -> changes.afterCommit(() -> readAtProvider.accept(new JsonObject()
                    .put("channel_id", message.channelId().toString())
                    .put("provider_message_id", message.providerMessageId()))));
                return null;
              }))
          .map((String) null);
    })).compose(reason -> view(caller.organizationId(), id).map(json -> new JsonObject()
        .put("read", reason == null)
        .put("reason", reason)
        .put("conversation", json))));
  }

  /** Anyone may mark a conversation unread (at least one unread message). */
  private void unread(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    respond(ctx, caller, id, committer.transaction((tx, changes) -> locked(tx, caller, id).compose(conversation ->
        conversation.unreadCount() > 0
            ? Future.succeededFuture()
            : conversations.markUnread(tx, id).compose(updated -> timeline.updated(tx, updated, changes)))));
  }

  /** Admins and services work any conversation; an agent those assigned to them or to nobody. */
  private static void mayWork(Principal caller, ConversationRow conversation) {
    if (caller.isAdmin() || !caller.isUser()) {
      return;
    }
    if (conversation.assigneeId() != null && !conversation.assigneeId().equals(caller.id())) {
      throw new ApiException(403, "not_owner", "this conversation is assigned to someone else");
    }
  }

  private Future<Void> system(SqlConnection tx, ConversationRow conversation, String text, JsonObject content,
      Changes changes) {
    return timeline.systemMessage(tx, conversation.organizationId(), conversation.channelId(), conversation.id(), null,
        Instant.now(), text, content, null, changes).mapEmpty();
  }

  private Future<ConversationRow> locked(SqlConnection tx, Principal caller, UUID id) {
    return conversations.lock(tx, caller.organizationId(), id)
        .map(found -> found.orElseThrow(() -> ApiException.notFound("conversation")));
  }

  private Future<ConversationRow> find(UUID organizationId, UUID id) {
    return conversations.detail(pool, organizationId, id)
        .map(found -> found.orElseThrow(() -> ApiException.notFound("conversation")).row());
  }

  /** The conversation as a list row, with the freshest counters. */
  private Future<JsonObject> view(UUID organizationId, UUID id) {
    return conversations.detail(pool, organizationId, id)
        .map(found -> found.orElseThrow(() -> ApiException.notFound("conversation")))
        .compose(listed -> withCounters(organizationId, List.of(listed)))
        .map(rows -> rows.get(0).toJson());
  }

  /** Answers a change with the conversation's new row. */
  private void respond(RoutingContext ctx, Principal caller, UUID id, Future<?> change) {
    Api.answer(ctx, 200, change.compose(v -> view(caller.organizationId(), id)));
  }

  private static String label(Object value) {
    if (!(value instanceof String text) || text.isBlank() || text.strip().length() > MAX_LABEL_LENGTH) {
      throw ApiException.invalid("a label is a text of 1 to " + MAX_LABEL_LENGTH + " characters");
    }
    return text.strip();
  }
}

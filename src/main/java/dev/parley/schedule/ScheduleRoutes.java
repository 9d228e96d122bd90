package dev.parley.schedule;

import dev.parley.auth.Principal;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.store.ConversationStore;
import dev.parley.store.MessageStore;
import dev.parley.store.ScheduledMessageStore;
import dev.parley.store.ScheduledMessageStore.NewScheduled;
import dev.parley.store.ScheduledMessageStore.ScheduledRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * Scheduled messages: {@code POST /conversations/{id}/scheduled_messages}, {@code GET /scheduled_messages} (filters
 * {@code conversation_id}, {@code status}; cursor pages, next occurrence first), {@code GET} and {@code DELETE}
 * (cancel) {@code /scheduled_messages/{id}}. Who may schedule is who may send now: a signed-in user only in a
 * conversation assigned to them ({@code 403 not_owner}), sending as {@code agent}; an API key anywhere in its
 * organization, as {@code automation} (or {@code bot}). When the message goes out the Sender checks every rule again
 * for that sender, so a message scheduled by an agent who has since lost the conversation fails with the Sender's
 * code rather than going out.
 */
public final class ScheduleRoutes implements Routes {
  private static final Set<String> STATUSES = Set.of("scheduled", "sending", "sent", "failed", "cancelled");

  private final Pool pool;
  private final ConversationStore conversations = new ConversationStore();
  private final ScheduledMessageStore schedules = new ScheduledMessageStore();
  private final MessageStore messages = new MessageStore();

  public ScheduleRoutes(Pool pool) {
    this.pool = pool;
  }

  @Override
  public void mount(Router api) {
    api.post("/conversations/:id/scheduled_messages").handler(this::create);
    api.get("/scheduled_messages").handler(this::list);
    api.get("/scheduled_messages/:id").handler(this::detail);
    api.delete("/scheduled_messages/:id").handler(this::cancel);
  }

  private void create(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID conversationId = Api.uuidParam(ctx, "id", "conversation");
    JsonObject body = Api.body(ctx);
    String senderType = senderType(caller, body.getValue("sender_type"));
    ScheduleRequest request = ScheduleRequest.parse(body, Instant.now());
    Api.answer(ctx, 201, conversations.find(pool, conversationId).compose(found -> {
      var conversation = found.filter(row -> row.organizationId().equals(caller.organizationId()))
          .orElseThrow(() -> ApiException.notFound("conversation"));
      if (caller.isUser() && !caller.id().equals(conversation.assigneeId())) {
        throw new ApiException(403, "not_owner",
            "only the conversation's assignee may send or schedule a message in it; take the conversation first");
      }
      return replyTarget(conversationId, request.message()).compose(checked -> schedules.insert(pool,
          new NewScheduled(UUID.randomUUID(), caller.organizationId(), conversationId, caller.userId(), senderType,
              request.message(), request.fallbackTemplate(), request.sendAt(), request.recurrence().apiName(),
              request.timeZone().getId(), request.endsAt(), request.maxOccurrences())));
    }).map(ScheduledRow::toJson));
  }

  /**
   * A quoted message must be one of the conversation's when the message is scheduled, so that a schedule never
   * holds an id of another conversation or organization (the send re-checks it reached the provider).
   */
  private Future<Void> replyTarget(UUID conversationId, JsonObject message) {
    UUID replyTo = Api.id(message.getValue("reply_to"), "reply_to is not an id");
    if (replyTo == null) {
      return Future.succeededFuture();
    }
    return messages.findInConversation(pool, conversationId, replyTo).map(found -> {
      if (found.isEmpty()) {
        throw new ApiException(422, "reply_target_invalid", "reply_to must be a message of this conversation");
      }
      return null;
    });
  }

  /** A person sends as {@code agent}; a service as {@code automation} unless it says {@code bot}. */
  private static String senderType(Principal caller, Object requested) {
    if (caller.isUser()) {
      if (requested != null && !"agent".equals(requested)) {
        throw ApiException.invalid("a signed-in user sends as agent; sender_type automation and bot are for API keys");
      }
      return "agent";
    }
    if (requested == null || "automation".equals(requested) || "bot".equals(requested)) {
      return requested == null ? "automation" : (String) requested;
    }
    throw ApiException.invalid("sender_type must be automation or bot");
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    String status = ctx.request().getParam("status");
    if (status != null && !STATUSES.contains(status)) {
      throw ApiException.invalid("status must be one of scheduled, sending, sent, failed, cancelled");
    }
    Instant afterSendAt = page.key(0, Instant::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, schedules.list(pool, caller.organizationId(), Api.idParam(ctx, "conversation_id"), status,
            afterSendAt, afterId, page.limit() + 1)
        .map(rows -> page.answer(rows, ScheduledRow::toJson,
            last -> Page.cursor(last.sendAt().toString(), last.id().toString()))));
  }

  private void detail(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "scheduled message");
    Api.answer(ctx, 200, schedules.find(pool, caller.organizationId(), id)
        .map(found -> found.orElseThrow(() -> ApiException.notFound("scheduled message")).toJson()));
  }

  /**
   * Cancels what has not gone out: a {@code scheduled} row, or a recurring one between occurrences. An occurrence
   * already in flight ({@code sending}) still goes out, but nothing after it. Sent, failed and cancelled rows
   * answer {@code 409 schedule_not_cancellable}. Users cancel only what they may send in (as when scheduling).
   */
  private void cancel(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "scheduled message");
    Api.answer(ctx, 200, schedules.find(pool, caller.organizationId(), id)
        .map(found -> found.orElseThrow(() -> ApiException.notFound("scheduled message")))
        .compose(row -> mayCancel(caller, row))
        .compose(row -> schedules.cancel(pool, caller.organizationId(), id))
        .compose(cancelled -> cancelled.isPresent()
            ? Future.succeededFuture(cancelled.get().toJson())
            : schedules.find(pool, caller.organizationId(), id).map(now -> {
              ScheduledRow row = now.orElseThrow(() -> ApiException.notFound("scheduled message"));
              throw new ApiException(409, "schedule_not_cancellable",
                  "this scheduled message is " + row.status() + " and can no longer be cancelled");
            })));
  }

  /** Admins, services and the scheduling user may cancel; another agent only in a conversation they are assigned. */
  private Future<ScheduledRow> mayCancel(Principal caller, ScheduledRow row) {
    if (!caller.isUser() || caller.isAdmin() || caller.id().equals(row.createdBy())) {
      return Future.succeededFuture(row);
    }
    return conversations.find(pool, row.conversationId()).map(found -> {
      if (found.isEmpty() || !caller.id().equals(found.get().assigneeId())) {
        throw new ApiException(403, "not_owner", "only the scheduling user, the conversation's assignee or an admin may cancel it");
      }
      return row;
    });
  }
}

package dev.parley.dispatch;

import dev.parley.auth.Principal;
import dev.parley.bus.OrgEvent;
import dev.parley.conversation.Committer;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Routes;
import dev.parley.store.ConversationStore;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.Set;
import java.util.UUID;

/**
 * Sending: {@code POST /conversations/{id}/messages} (with an {@code Idempotency-Key}), forwarding a message
 * into another conversation, and deleting a message for the business (WhatsApp cannot unsend). People send as
 * {@code agent}; API keys as {@code automation} or, when the body says so, {@code bot}.
 */
public final class SendRoutes implements Routes {
  private static final Set<String> SERVICE_SENDERS = Set.of("automation", "bot");
  private static final Set<String> FORWARDABLE = Set.of(
      "text", "image", "video", "audio", "voice", "document", "sticker", "location", "contacts");

  private final Pool pool;
  private final Committer committer;
  private final Sender sender;
  private final MessageStore messages = new MessageStore();
  private final ConversationStore conversations = new ConversationStore();

  public SendRoutes(Pool pool, Committer committer, Sender sender) {
    this.pool = pool;
    this.committer = committer;
    this.sender = sender;
  }

  @Override
  public void mount(Router api) {
    api.post("/conversations/:id/messages").handler(this::send);
    api.post("/messages/:id/forward").handler(this::forward);
    api.delete("/messages/:id").handler(this::delete);
  }

  private void send(RoutingContext ctx) {
    Principal principal = Api.principal(ctx);
    UUID conversation = Api.uuidParam(ctx, "id", "conversation");
    JsonObject body = Api.body(ctx);
    Sender.Caller caller = caller(principal, body.getString("sender_type"));
    body.remove("sender_type");
    respond(ctx, sender.send(caller, conversation, body, ctx.request().getHeader("Idempotency-Key")));
  }

  private void forward(RoutingContext ctx) {
    Principal principal = Api.principal(ctx);
    UUID source = Api.uuidParam(ctx, "id", "message");
    JsonObject body = Api.body(ctx);
    UUID target = Api.id(body.getValue("conversation_id"), "conversation_id must be a conversation id");
    Sender.Caller caller = caller(principal, body.getString("sender_type"));
    respond(ctx, messages.findInOrganization(pool, principal.organizationId(), source).compose(found -> {
      MessageRow message = found.orElseThrow(() -> ApiException.notFound("message"));
      return sender.send(caller, target, forwarded(message), ctx.request().getHeader("Idempotency-Key"));
    }));
  }

  /** The send request that repeats a stored message's content (files by their Parley or provider id). */
  static JsonObject forwarded(MessageRow message) {
    if (!FORWARDABLE.contains(message.type()) || message.deletedAt() != null) {
      throw new ApiException(422, "forward_unsupported", "a " + (message.deletedAt() != null ? "deleted " : "")
          + message.type() + " message cannot be forwarded");
    }
    JsonObject content = message.content();
    var request = new JsonObject().put("type", message.type());
    switch (message.type()) {
      case "text" -> request.put("text", new JsonObject().put("body", message.body()));
      case "location" -> request.put("location", content.containsKey("location")
          ? content.getJsonObject("location").copy() : content.copy());
      case "contacts" -> request.put("contacts", content.getJsonArray("contacts").copy());
      default -> request.put(message.type(), forwardedMedia(message));
    }
    return request;
  }

  private static JsonObject forwardedMedia(MessageRow message) {
    JsonObject content = message.content();
    JsonObject part = content.getJsonObject(message.type());
    var media = new JsonObject();
    if (part != null) { // sent by the business: the same file
      for (String source : new String[] {"media_id", "id", "link"}) {
        if (part.getValue(source) != null) {
          media.put(source, part.getValue(source));
          break;
        }
      }
    } else if (content.getJsonObject("media") != null && content.getJsonObject("media").getString("file_id") != null) {
      media.put("media_id", content.getJsonObject("media").getString("file_id")); // received, and stored by Parley
    }
    if (media.isEmpty()) {
      throw new ApiException(422, "forward_unsupported", "the file of this message is not available to send again");
    }
    String caption = part != null ? part.getString("caption") : content.getString("caption");
    if (caption != null && Set.of("image", "video", "document").contains(message.type())) {
      media.put("caption", caption);
    }
    String filename = part != null ? part.getString("filename") : content.getString("filename");
    if (filename != null && "document".equals(message.type())) {
      media.put("filename", filename);
    }
    return media;
  }

  /**
   * Deletes a message for the business only: the customer keeps it (the provider cannot unsend). Admins, and
   * agents in conversations they may work (their own or unassigned ones).
   */
  private void delete(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "message");
    Api.answer(ctx, 200, committer.transaction((tx, changes) -> messages.findInOrganization(tx,
        caller.organizationId(), id).compose(found -> {
          MessageRow message = found.orElseThrow(() -> ApiException.notFound("message"));
          if ("system".equals(message.direction())) {
            throw new ApiException(422, "message_not_deletable", "system messages stay in the thread");
          }
          // reads the conversation without locking it: the only row locked is the message's, so this never
          // deadlocks with the dispatcher or a status webhook updating the same message
          return conversations.find(tx, message.conversationId()).compose(conversation -> {
            UUID assignee = conversation.orElseThrow().assigneeId();
            if (caller.isUser() && !caller.isAdmin() && assignee != null && !assignee.equals(caller.id())) {
              throw new ApiException(403, "not_owner", "this conversation is assigned to someone else");
            }
            return messages.deleteLocally(tx, caller.organizationId(), id);
          });
        }).compose(deleted -> {
          if (deleted.isEmpty()) {
            return messages.findById(tx, id).map(row -> row.orElseThrow().toJson(new JsonObject()));
          }
          JsonObject json = deleted.get().toJson(new JsonObject());
          changes.event(OrgEvent.MESSAGE_UPDATED, caller.organizationId(), json);
          return Future.succeededFuture(json);
        })));
  }

  private static Sender.Caller caller(Principal principal, String senderType) {
    if (principal.isUser()) {
      if (senderType != null && !"agent".equals(senderType)) {
        throw ApiException.invalid("people send as agent; sender_type automation or bot is for API keys");
      }
      return new Sender.Caller(principal.organizationId(), "agent", principal.id());
    }
    String type = senderType == null ? "automation" : senderType;
    if (!SERVICE_SENDERS.contains(type)) {
      throw ApiException.invalid("sender_type must be automation or bot");
    }
    return new Sender.Caller(principal.organizationId(), type, null);
  }

  private static void respond(RoutingContext ctx, Future<Sender.Outcome> outcome) {
    outcome.onSuccess(result -> {
      if (result.replayed()) {
        ctx.response().putHeader("Idempotent-Replayed", "true");
      }
      Api.json(ctx, result.replayed() ? 200 : 202, result.message());
    }).onFailure(ctx::fail);
  }
}

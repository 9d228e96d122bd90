package dev.parley.dispatch;

import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.conversation.Changes;
import dev.parley.conversation.Committer;
import dev.parley.conversation.Timeline;
import dev.parley.http.ApiException;
import dev.parley.provider.ProviderRegistry;
import dev.parley.provider.ServiceWindow;
import dev.parley.store.ChannelStore;
import dev.parley.store.ContactRow;
import dev.parley.store.ContactStore;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.NewMessage;
import dev.parley.store.OutboundQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Checks every sending rule, stores the message {@code pending} with its queue entry in one transaction, and
 * hands it to the dispatcher. Used by the REST route, the {@code dispatch.send} bus command, scheduled messages
 * and the compatibility route. Nothing is stored when a rule refuses: the caller gets an {@link ApiException}
 * with a stable code, checked in this order: the conversation exists (404 {@code not_found}); a person sending
 * is its assignee (403 {@code not_owner}); it is open (409 {@code conversation_closed}); no bot is running for
 * a person (409 {@code bot_running}); a reactive contact is only answered (422 {@code contact_reactive}); inside
 * the service window unless it is a template (422 {@code window_closed}); then the message's own rules
 * ({@link OutboundDraft}, quoted and reacted-to messages, media, templates).
 */
public final class Sender {
  /** WhatsApp refuses reactions to messages older than this. */
  static final Duration REACTION_MAX_AGE = Duration.ofDays(30);

  /**
   * Who sends. {@code senderType} is {@code agent} (a person: only the conversation's assignee may send, never
   * while a bot runs), {@code automation} or {@code bot} (services, API keys: exempt from the owner and bot
   * rules). {@code userId} is the agent's id (null for services).
   */
  public record Caller(UUID organizationId, String senderType, UUID userId) {
    public boolean manual() {
      return "agent".equals(senderType);
    }
  }

  /** The stored message as clients render it; {@code replayed} when an earlier call with the same key made it. */
  public record Outcome(JsonObject message, boolean replayed) {}

  /** Validates a template to send and renders it: {@code {"text": searchable text, "preview": {…}}}. */
  public interface Templates {
    Future<JsonObject> resolve(SqlClient client, UUID organizationId, UUID channelId, JsonObject template);
  }

  /** Checks a Parley media file for a message type: answers what the thread shows ({@code mime_type}, size…). */
  public interface Media {
    Future<JsonObject> check(SqlClient client, UUID organizationId, String messageType, UUID mediaId);
  }

  private final Vertx vertx;
  private final Pool pool;
  private final Committer committer;
  private final ChannelStore channels;
  private final ProviderRegistry providers;
  private final Templates templates;
  private final Media media;
  private final ParleyConfig.Dispatch config;
  private final ConversationStore conversations = new ConversationStore();
  private final ContactStore contacts = new ContactStore();
  private final MessageStore messages = new MessageStore();
  private final OutboundQueue queue = new OutboundQueue();
  private final Timeline timeline = new Timeline();

  public Sender(Vertx vertx, Pool pool, Committer committer, ChannelStore channels, ProviderRegistry providers,
      Templates templates, Media media, ParleyConfig.Dispatch config) {
    this.vertx = vertx;
    this.pool = pool;
    this.committer = committer;
    this.channels = channels;
    this.providers = providers;
    this.templates = templates;
    this.media = media;
    this.config = config;
  }

  /**
   * Sends {@code request} (the API's message object: {@code {"type":"text","text":{"body":…}}}, …, optional
   * {@code reply_to}) into a conversation. A repeated {@code idempotencyKey} answers the first call's message
   * (422 {@code idempotency_key_reused} when the request differs).
   */
  public Future<Outcome> send(Caller caller, UUID conversationId, JsonObject request, String idempotencyKey) {
    OutboundDraft draft;
    try {
      draft = OutboundDraft.parse(request);
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 255)) {
      return Future.failedFuture(ApiException.invalid("Idempotency-Key must have 1 to 255 characters"));
    }
    String hash = hash(conversationId, request);
    Future<Optional<Outcome>> earlier = idempotencyKey == null
        ? Future.succeededFuture(Optional.empty())
        : replay(caller.organizationId(), idempotencyKey, hash);
    return earlier.compose(replayed -> replayed.isPresent()
        ? Future.succeededFuture(replayed.get())
        : store(caller, conversationId, draft, idempotencyKey, hash)
            .recover(failure -> failure instanceof KeyTaken
                ? replay(caller.organizationId(), idempotencyKey, hash).map(Optional::orElseThrow)
                : Future.failedFuture(failure)));
  }

  private Future<Optional<Outcome>> replay(UUID organizationId, String key, String hash) {
    return queue.findKey(pool, organizationId, key).compose(use -> {
      if (use.isEmpty()) {
        return Future.succeededFuture(Optional.empty());
      }
      if (!use.get().requestHash().equals(hash)) {
        return Future.failedFuture(new ApiException(422, "idempotency_key_reused",
            "this Idempotency-Key was used for a different request"));
      }
      return messages.findById(pool, use.get().messageId()).compose(message -> reactions(message.orElseThrow())
          .map(json -> Optional.of(new Outcome(json, true))));
    });
  }

  private Future<JsonObject> reactions(MessageRow message) {
    return message.providerMessageId() == null
        ? Future.succeededFuture(message.toJson(new JsonObject()))
        : messages.reactions(pool, message.channelId(), message.providerMessageId()).map(message::toJson);
  }

  private Future<Outcome> store(Caller caller, UUID conversationId, OutboundDraft draft, String key, String hash) {
    return committer.transaction((tx, changes) -> conversations.lock(tx, caller.organizationId(), conversationId)
        .compose(found -> {
          ConversationRow conversation = found.orElseThrow(() -> ApiException.notFound("conversation"));
          checkConversation(caller, conversation, draft);
          // independent reads, pipelined on the transaction's connection
          var channelRead = channels.find(tx, conversation.channelId());
          var contactRead = contacts.find(tx, caller.organizationId(), conversation.contactId());
          var identities = contacts.identities(tx, conversation.contactId());
          return Future.all(channelRead, contactRead, identities).compose(read -> {
            Channel channel = channelRead.result().orElseThrow();
            ContactRow contact = contactRead.result().orElseThrow();
            checkWindow(channel, conversation, contact, draft);
            return prepare(tx, caller, conversation, channel, contact, draft)
                .compose(prepared -> insert(tx, changes, caller, conversation, channel, contact,
                    recipient(channel, contact, identities.result()), prepared, key, hash));
          });
        }))
        .onSuccess(outcome -> vertx.eventBus().send(Addresses.DISPATCH_QUEUED, outcome.message().getString("id")));
  }

  private static void checkConversation(Caller caller, ConversationRow conversation, OutboundDraft draft) {
    if (caller.manual() && !caller.userId().equals(conversation.assigneeId())) {
      throw new ApiException(403, "not_owner", conversation.assigneeId() == null
          ? "only the conversation's assignee may send; take the conversation first"
          : "only the conversation's assignee may send");
    }
    if (!"open".equals(conversation.status())) {
      throw new ApiException(409, "conversation_closed", "the conversation is closed; reopen it to send");
    }
    if (caller.manual() && "running".equals(conversation.botState())) {
      throw new ApiException(409, "bot_running", "a bot is handling this conversation; hand it off to send");
    }
  }

  private void checkWindow(Channel channel, ConversationRow conversation, ContactRow contact, OutboundDraft draft) {
    if (conversation.windowExpiresAt() == null && "reactive".equals(contact.preference())) {
      throw new ApiException(422, "contact_reactive",
          "this contact only wants answers: they have not written on this channel, so nobody may write first");
    }
    boolean window = providers.find(channel.provider())
        .map(provider -> provider.window() == ServiceWindow.CUSTOMER_SERVICE).orElse(false);
    if (window && !"template".equals(draft.type())
        && (conversation.windowExpiresAt() == null || !conversation.windowExpiresAt().isAfter(Instant.now()))) {
      throw new ApiException(422, "window_closed",
          "the 24-hour service window is closed; only an approved template can be sent");
    }
  }

  /** What is stored and sent once the draft's references (quoted message, reaction target, file, template) check out. */
  private record Prepared(OutboundDraft draft, String body, JsonObject content, String replyToProviderId,
      MessageRow reactionTarget) {}

  private Future<Prepared> prepare(SqlClient tx, Caller caller, ConversationRow conversation, Channel channel,
      ContactRow contact, OutboundDraft draft) {
    Future<String> replyTo = draft.replyTo() == null
        ? Future.succeededFuture(null)
        : messages.findInConversation(tx, conversation.id(), draft.replyTo()).map(found -> {
          MessageRow quoted = found.filter(m -> m.providerMessageId() != null && !"system".equals(m.direction())
              && m.deletedAt() == null).orElseThrow(() -> new ApiException(422, "reply_target_invalid",
                  "reply_to must be a message of this conversation that reached the provider"));
          return quoted.providerMessageId();
        });
    Future<MessageRow> target = draft.reactionTarget() == null
        ? Future.succeededFuture(null)
        : messages.findInConversation(tx, conversation.id(), draft.reactionTarget()).map(found -> found
            .filter(m -> m.providerMessageId() != null && !"system".equals(m.direction())
                && !"reaction".equals(m.type())
                && m.sentAt().isAfter(Instant.now().minus(REACTION_MAX_AGE)))
            .orElseThrow(() -> new ApiException(422, "reaction_target_invalid",
                "reactions go on a message of this conversation that reached the provider in the last 30 days")));
    Future<JsonObject> content = Future.succeededFuture(draft.content());
    Future<String> body = Future.succeededFuture(draft.body());
    if (draft.mediaId() != null) {
      content = media.check(tx, caller.organizationId(), draft.type(), draft.mediaId()).map(file -> {
        JsonObject copy = draft.content().copy();
        copy.getJsonObject(draft.type()).put("file", file);
        return copy;
      });
    }
    if ("template".equals(draft.type())) {
      Future<JsonObject> rendered = templates.resolve(tx, caller.organizationId(), channel.id(),
          draft.content().getJsonObject("template"));
      body = rendered.map(r -> r.getString("text"));
      content = rendered.map(r -> draft.content().copy().put("preview", r.getJsonObject("preview")));
    }
    Future<JsonObject> finalContent = content;
    Future<String> finalBody = body;
    return Future.all(replyTo, target, finalContent, finalBody).map(all -> new Prepared(draft, finalBody.result(),
        finalContent.result(), replyTo.result(), target.result()));
  }

  /**
   * Stores the message, its idempotency key, its queue row and the conversation's activity: four statements sent
   * together (they execute in order on the connection; a taken key rolls all of them back).
   */
  private Future<Outcome> insert(SqlClient tx, Changes changes, Caller caller, ConversationRow conversation,
      Channel channel, ContactRow contact, String recipient, Prepared prepared, String key, String hash) {
    UUID id = UUID.randomUUID();
    Instant now = Instant.now();
    var row = new NewMessage(id, caller.organizationId(), conversation.id(), channel.id(), "outbound",
        prepared.draft().type(), prepared.body(), prepared.content(), null, prepared.replyToProviderId(),
        caller.senderType(), caller.userId(), "pending", now, null, null);
    JsonObject request = providerRequest(id, recipient, prepared);
    var inserted = messages.insert(tx, row);
    var remembered = key == null
        ? Future.succeededFuture(true)
        : queue.rememberKey(tx, caller.organizationId(), key, hash, id);
    var queued = queue.enqueue(tx, id, caller.organizationId(), channel.id(), recipient, request, now,
        now.plus(config.retryDeadline()));
    var updated = conversations.recordActivity(tx, conversation.id(), id, now);
    return Future.join(inserted, remembered, queued, updated).transform(done -> {
      if (done.failed()) {
        return Future.failedFuture(done.cause());
      }
      if (!remembered.result()) {
        return Future.failedFuture(new KeyTaken());
      }
      MessageRow message = inserted.result().orElseThrow();
      JsonObject json = message.toJson(new JsonObject());
      changes.event(OrgEvent.MESSAGE_CREATED, caller.organizationId(), json);
      return timeline.changed(tx, updated.result(), contact.summary(), message, false, changes)
          .map(new Outcome(json, false));
    });
  }

  /** The customer's address on this channel: the identity the provider gave, else the contact's number. */
  private static String recipient(Channel channel, ContactRow contact, List<ContactStore.IdentityRow> identities) {
    return identities.stream()
        .filter(identity -> identity.channelId().equals(channel.id()))
        .map(ContactStore.IdentityRow::externalId)
        .findFirst()
        .or(() -> Optional.ofNullable(contact.mobileNumber()).map(number -> number.replace("+", "")))
        .orElseThrow(() -> new ApiException(422, "contact_unreachable",
            "the contact has no address on this channel and no mobile number"));
  }

  /**
   * The Cloud API request body; Parley media ids and reaction targets are resolved by the dispatcher when it
   * sends. {@code biz_opaque_callback_data} carries the message id, which the provider echoes in every status
   * webhook: that is how an acceptance lost in a crash is found again.
   */
  private static JsonObject providerRequest(UUID id, String recipient, Prepared prepared) {
    OutboundDraft draft = prepared.draft();
    var request = new JsonObject()
        .put("messaging_product", "whatsapp")
        .put("recipient_type", "individual")
        .put("to", recipient)
        .put("type", draft.providerType());
    if ("contacts".equals(draft.type())) {
      request.put("contacts", draft.content().getJsonArray("contacts"));
    } else {
      request.put(draft.providerType(), draft.content().getJsonObject(draft.type()).copy());
    }
    if (prepared.reactionTarget() != null) {
      request.getJsonObject("reaction").put("message_id", prepared.reactionTarget().providerMessageId());
    }
    if (prepared.replyToProviderId() != null) {
      request.put("context", new JsonObject().put("message_id", prepared.replyToProviderId()));
    }
    return request.put("biz_opaque_callback_data", id.toString());
  }

  private static String hash(UUID conversationId, JsonObject request) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(conversationId.toString().getBytes(StandardCharsets.UTF_8));
      digest.update(request.encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Another call with the same key committed first: roll back and answer its message. */
  private static final class KeyTaken extends RuntimeException {
    KeyTaken() {
      super("idempotency key taken", null, false, false);
    }
  }
}

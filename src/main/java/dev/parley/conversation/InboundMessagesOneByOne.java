package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.contact.PhoneNumbers;
import dev.parley.provider.InboundEvent;
import dev.parley.provider.ProviderRegistry;
import dev.parley.provider.ServiceWindow;
import dev.parley.push.PushMessage;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactStore.ContactRef;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.NewMessage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * New customer messages one by one, each into its conversation (found, reopened or opened): what the set-based
 * {@link InboundMessages} cannot decide alone, and an edit whose original never arrived. Also the pieces both paths
 * share: the service window's end, the new-message notification, a system message.
 */
final class InboundMessagesOneByOne {
  /** The inbox screen whose users are notified of every new customer message. */
  private static final String CHATS_VIEW = "chats";

  private final ProviderRegistry providers;
  private final Duration serviceWindow;
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();
  private final MessageStore messages = new MessageStore();
  private final Timeline timeline = new Timeline();

  InboundMessagesOneByOne(ProviderRegistry providers, Duration serviceWindow) {
    this.providers = providers;
    this.serviceWindow = serviceWindow;
  }

  Future<Void> message(
      SqlClient tx, Channel channel, InboundEvent.Message message, Instant editedAt, Changes changes) {
    return messages.exists(tx, channel.id(), message.providerMessageId()).compose(exists -> {
      if (exists) {
        changes.duplicates++;
        return Future.succeededFuture();
      }
      return contact(tx, channel, message.sender(), changes)
          .compose(contact -> intoConversation(tx, channel, message, contact, editedAt, changes));
    });
  }

  /** A new message of a known contact into its conversation: found, reopened or opened. */
  Future<Void> intoConversation(SqlClient tx, Channel channel, InboundEvent.Message message,
      ContactRef contact, Instant editedAt, Changes changes) {
    UUID org = channel.organizationId();
    return conversations.openFor(tx, org, channel.id(), contact.id(), message.timestamp()).compose(opened -> {
      Future<Void> reopened = opened.reopened()
          ? systemMessage(tx, channel, opened.id(), contact, message.timestamp().minusMillis(1),
              "Conversation reopened by a new message from the customer",
              new JsonObject().put("event", "conversation.reopened"), null, changes)
          : Future.succeededFuture();
      var row = new NewMessage(UUID.randomUUID(), org, opened.id(), channel.id(), "inbound", message.type(),
          message.body(), message.content(), message.providerMessageId(), message.replyToProviderId(),
          "contact", null, "received", message.timestamp(), editedAt, message.raw());
      return reopened.compose(v -> messages.insert(tx, row)).compose(inserted -> {
        if (inserted.isEmpty()) { // the same message committed concurrently: a retry, nothing to do
          changes.duplicates++;
          return Future.succeededFuture();
        }
        MessageRow stored = inserted.get();
        return conversations.recordInbound(tx, opened.id(), stored.id(), message.timestamp(),
                windowEnd(channel, message.timestamp()))
            .compose(conversation -> timeline.changed(tx, conversation, contact.toJson(), stored, opened.created(),
                    changes)
                .map(v -> {
                  JsonObject json = stored.toJson(new JsonObject()); // both only ever encode it
                  changes.event(OrgEvent.MESSAGE_CREATED, org, json);
                  changes.notifications.add(notification(conversation, contact, json));
                  changes.applied++;
                  return null;
                }));
      });
    });
  }

  Future<ContactRef> contact(SqlClient tx, Channel channel, InboundEvent.Sender sender, Changes changes) {
    Optional<PhoneNumbers.Normalized> number = PhoneNumbers.fromInternational(sender.phone());
    String country = number.map(PhoneNumbers.Normalized::country).orElse(PhoneNumbers.countryOfUserId(sender.userId()));
    var identity = new ContactStore.Identity(sender.externalId(), sender.userId(), sender.profileName(), sender.username());
    return contacts.findOrCreate(tx, channel.organizationId(), channel.id(), identity,
            number.map(PhoneNumbers.Normalized::e164).orElse(null), country)
        .onSuccess(contact -> {
          if (contact.created()) {
            changes.event(OrgEvent.CONTACT_CREATED, channel.organizationId(), contact.toJson());
          } else if (contact.nameChanged()) {
            changes.event(OrgEvent.CONTACT_UPDATED, channel.organizationId(), contact.toJson());
          }
        });
  }

  Future<Void> systemMessage(SqlClient tx, Channel channel, UUID conversationId, ContactRef contact,
      Instant at, String body, JsonObject content, String providerMessageId, Changes changes) {
    return timeline.systemMessage(tx, channel.organizationId(), channel.id(), conversationId, contact.toJson(), at, body,
        content, providerMessageId, changes).mapEmpty();
  }

  /**
   * A new customer message: for everyone in the chats view, and for the conversation's owner wherever they are.
   * Self-contained, so an inbox can show it (and play a sound) without fetching anything.
   */
  static JsonObject notification(ConversationRow conversation, ContactRef contact, JsonObject message) {
    var data = new JsonObject()
        .put("kind", "new_message")
        .put("conversation_id", conversation.id().toString())
        .put("assignee_id", conversation.assigneeId() == null ? null : conversation.assigneeId().toString())
        .put("unread_count", conversation.unreadCount())
        .put("contact", contact.toJson())
        .put("message", message);
    return PushMessage.toViewOrUser(conversation.organizationId(), OrgEvent.NOTIFICATION, data, CHATS_VIEW,
        conversation.assigneeId());
  }

  Instant windowEnd(Channel channel, Instant customerMessageAt) {
    boolean windowed = providers.get(channel.provider()).window() == ServiceWindow.CUSTOMER_SERVICE;
    return windowed ? customerMessageAt.plus(serviceWindow) : null;
  }
}

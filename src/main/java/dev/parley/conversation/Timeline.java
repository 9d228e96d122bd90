package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.store.ContactStore;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.NewMessage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * What a conversation's thread and list row show after a change: system messages (recorded in the thread, never
 * sent to the customer) and the {@code conversation.created|updated} event carrying the row as clients render it
 * (with its contact and last message). Used inside a transaction; the events go out after it commits.
 */
public final class Timeline {
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();
  private final MessageStore messages = new MessageStore();

  /**
   * Stores a system message and makes it the conversation's latest activity; empty when {@code providerMessageId}
   * was already recorded (a redelivery). {@code contact} is the conversation's contact summary, or null to read it.
   */
  public Future<Optional<MessageRow>> systemMessage(SqlClient tx, UUID organizationId, UUID channelId,
      UUID conversationId, JsonObject contact, Instant at, String body, JsonObject content, String providerMessageId,
      Changes changes) {
    var row = new NewMessage(UUID.randomUUID(), organizationId, conversationId, channelId, "system", "system", body,
        content, providerMessageId, null, "system", null, "received", at, null, null);
    return messages.insert(tx, row).compose(inserted -> {
      if (inserted.isEmpty()) {
        return Future.succeededFuture(inserted);
      }
      changes.event(OrgEvent.MESSAGE_CREATED, organizationId, inserted.get().toJson(new JsonObject()));
      return conversations.recordActivity(tx, conversationId, inserted.get().id(), at)
          .compose(conversation -> (contact != null
                  ? Future.succeededFuture(contact)
                  : contacts.summary(tx, conversation.contactId()))
              .compose(summary -> changed(tx, conversation, summary, inserted.get(), false, changes)))
          .map(inserted);
    });
  }

  /**
   * Records the conversation's new state for Redis and emits its event. {@code stored} is a message just written
   * (the last one unless an older one arrived late), or null.
   */
  public Future<Void> changed(SqlClient tx, ConversationRow conversation, JsonObject contact, MessageRow stored,
      boolean created, Changes changes) {
    changes.conversation(conversation);
    Future<Optional<MessageRow>> last = stored != null && stored.id().equals(conversation.lastMessageId())
        ? Future.succeededFuture(Optional.of(stored))
        : conversation.lastMessageId() == null
            ? Future.succeededFuture(Optional.empty())
            : messages.findById(tx, conversation.lastMessageId());
    return last.map(message -> {
      changes.event(created ? OrgEvent.CONVERSATION_CREATED : OrgEvent.CONVERSATION_UPDATED,
          conversation.organizationId(), conversation.toJson(contact, message.map(MessageRow::preview).orElse(null)));
      return null;
    });
  }

  /** {@link #changed} for a change that wrote no message (labels, bot state, read state): reads the contact. */
  public Future<Void> updated(SqlClient tx, ConversationRow conversation, Changes changes) {
    return contacts.summary(tx, conversation.contactId())
        .compose(contact -> changed(tx, conversation, contact, null, false, changes));
  }
}

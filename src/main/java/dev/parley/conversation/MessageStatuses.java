package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.StatusRecord;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.util.UUID;

/**
 * Applies delivery statuses to a known message: every status is recorded once in the history with the
 * provider's timestamp; the message's own status only moves forward ({@link MessageStatus}).
 */
public final class MessageStatuses {
  private final MessageStore messages;

  public MessageStatuses(MessageStore messages) {
    this.messages = messages;
  }

  /** Records {@code status} in the history once and moves the message forward when it may (an event then). */
  public Future<Void> apply(SqlClient tx, MessageRow message, StatusRecord status, Changes changes) {
    return messages.addHistory(tx, message.id(), status).compose(recorded -> {
      if (!recorded) {
        changes.duplicates++;
        return Future.succeededFuture();
      }
      changes.applied++;
      return messages.moveStatus(tx, message.id(), status, MessageStatus.replaceableBy(status.status()))
          .compose(moved -> moved.isEmpty()
              ? Future.succeededFuture()
              : messages.reactions(tx, message.channelId(), message.providerMessageId()).map(reactions -> {
                changes.event(OrgEvent.MESSAGE_UPDATED, message.organizationId(), moved.get().toJson(reactions));
                return null;
              }));
    });
  }

  /**
   * Applies the statuses that arrived before this message had its provider id. Outbound dispatch calls it in
   * the transaction that records the provider's acceptance, so a fast {@code delivered} webhook is not lost.
   */
  public Future<Void> adoptPending(SqlClient tx, UUID channelId, String providerMessageId, Changes changes) {
    return messages.takePendingStatuses(tx, channelId, providerMessageId).compose(pending -> {
      Future<Void> chain = Future.succeededFuture();
      for (StatusRecord status : pending) {
        chain = chain.compose(v -> messages.findByProviderId(tx, channelId, providerMessageId)
            .compose(current -> current.isEmpty()
                ? Future.succeededFuture()
                : apply(tx, current.get(), status, changes)));
      }
      return chain;
    });
  }
}

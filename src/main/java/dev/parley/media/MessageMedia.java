package dev.parley.media;

import dev.parley.bus.OrgEvent;
import dev.parley.conversation.Changes;
import dev.parley.store.MessageStore;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;

/**
 * Shows a file's state on the message that brought it ({@code content.media}) and emits {@code message.updated},
 * inside the caller's {@code Committer} transaction so clients see it only once committed.
 */
final class MessageMedia {
  private final MessageStore messages = new MessageStore();
  private final Duration retention;

  MessageMedia(Duration retention) {
    this.retention = retention;
  }

  Future<Void> show(SqlClient tx, Changes changes, MediaFile file) {
    if (file.messageId() == null) {
      return Future.succeededFuture();
    }
    return messages.setMedia(tx, file.messageId(), file.messageMedia(retention)).compose(updated -> {
      if (updated.isEmpty()) {
        return Future.succeededFuture();
      }
      var row = updated.get();
      return messages.reactions(tx, row.channelId(), row.providerMessageId())
          .map(reactions -> {
            changes.event(OrgEvent.MESSAGE_UPDATED, row.organizationId(), row.toJson(reactions));
            return null;
          });
    });
  }
}

package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.StatusRecord;
import dev.parley.store.OutboundQueue;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The statuses phase of {@link InboundApplier}: a group's delivery statuses, set-based, and one by one for a status
 * that adopts a message whose acceptance was never recorded.
 */
final class InboundStatuses {
  private final MessageStore messages = new MessageStore();
  private final MessageStatuses statuses = new MessageStatuses(messages);
  private final OutboundQueue outbound = new OutboundQueue();

  /**
   * The statuses phase of a group, set-based: the messages they name found in one statement, their history recorded
   * in one, each message moved once to the furthest status its statuses allow, and the statuses of messages not
   * known yet kept in one. A status naming, in {@code biz_opaque_callback_data}, a message whose acceptance was never
   * recorded goes one by one ({@link #adopt}).
   */
  Future<Void> statuses(SqlClient tx, List<Routed> events, Map<Routed, Changes> owner) {
    return messages.findAllByProviderId(tx,
        events.stream().map(routed -> routed.channel().id()).toList(),
        events.stream().map(routed -> ((InboundEvent.Status) routed.event()).providerMessageId()).toList())
        .compose(found -> {
          List<Routed> known = new ArrayList<>();
          List<MessageRow> targets = new ArrayList<>();
          List<Routed> unknown = new ArrayList<>();
          List<Routed> adopting = new ArrayList<>();
          for (int i = 0; i < events.size(); i++) {
            Routed routed = events.get(i);
            if (found.containsKey(i)) {
              known.add(routed);
              targets.add(found.get(i));
            } else if (callbackMessageId(((InboundEvent.Status) routed.event()).raw()) != null) {
              adopting.add(routed);
            } else {
              unknown.add(routed);
            }
          }
          Future<Void> kept = unknown.isEmpty()
              ? Future.succeededFuture()
              : messages.keepPendingStatuses(tx,
                      unknown.stream().map(routed -> routed.channel().id()).toList(),
                      unknown.stream().map(routed -> ((InboundEvent.Status) routed.event()).providerMessageId()).toList(),
                      unknown.stream().map(routed -> record((InboundEvent.Status) routed.event())).toList())
                  .onSuccess(v -> unknown.forEach(routed -> owner.get(routed).pending++));
          Future<Void> applied = known.isEmpty() ? Future.succeededFuture() : history(tx, known, targets, owner);
          return Future.all(kept, applied).compose(v -> InboundSteps.inOrder(adopting, routed ->
              status(tx, routed.channel(), (InboundEvent.Status) routed.event(), owner.get(routed))));
        });
  }

  /** {@link MessageStatuses#apply} for the known messages' statuses, set-based. */
  private Future<Void> history(SqlClient tx, List<Routed> known, List<MessageRow> targets, Map<Routed, Changes> owner) {
    List<Integer> firsts = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int j = 0; j < known.size(); j++) {
      if (seen.add(targets.get(j).id() + "/" + ((InboundEvent.Status) known.get(j).event()).status())) {
        firsts.add(j);
      } else { // the same status of the same message twice in the group: the first one counts
        owner.get(known.get(j)).duplicates++;
      }
    }
    return messages.addHistoryAll(tx,
            firsts.stream().map(j -> targets.get(j).id()).toList(),
            firsts.stream().map(j -> record((InboundEvent.Status) known.get(j).event())).toList())
        .compose(recorded -> {
          Map<UUID, Progress> progress = new LinkedHashMap<>();
          for (int j : firsts) {
            Routed routed = known.get(j);
            var status = (InboundEvent.Status) routed.event();
            MessageRow target = targets.get(j);
            if (!recorded.contains(target.id() + "/" + status.status())) {
              owner.get(routed).duplicates++;
              continue;
            }
            owner.get(routed).applied++;
            progress.computeIfAbsent(target.id(), id -> new Progress(target)).advance(status, routed);
          }
          List<Progress> moving = progress.values().stream().filter(p -> p.last != null).toList();
          if (moving.isEmpty()) {
            return Future.<Void>succeededFuture();
          }
          return messages.moveStatusAll(tx, moving.stream().map(Progress::move).toList()).compose(moved -> moved
              .isEmpty()
              ? Future.<Void>succeededFuture()
              : messages.reactionsAll(tx, moved.stream().map(MessageRow::channelId).toList(),
                      moved.stream().map(MessageRow::providerMessageId).toList())
                  .map(reactions -> {
                    for (MessageRow row : moved) {
                      JsonObject ofRow = reactions.getOrDefault(row.channelId() + "/" + row.providerMessageId(),
                          new JsonObject());
                      owner.get(progress.get(row.id()).last)
                          .event(OrgEvent.MESSAGE_UPDATED, row.organizationId(), row.toJson(ofRow));
                    }
                    return null;
                  }));
        });
  }

  /** Where a message's statuses in one group take it, each only replacing an earlier one ({@link MessageStatus}). */
  private static final class Progress {
    private final UUID messageId;
    private String status;
    private Integer errorCode;
    private String errorTitle;
    /** The last status that moved it; null while none did. */
    private Routed last;

    Progress(MessageRow message) {
      this.messageId = message.id();
      this.status = message.status();
    }

    void advance(InboundEvent.Status next, Routed routed) {
      if (List.of(MessageStatus.replaceableBy(next.status())).contains(status)) {
        status = next.status();
        errorCode = next.errorCode() != null ? next.errorCode() : errorCode;
        errorTitle = next.errorTitle() != null ? next.errorTitle() : errorTitle;
        last = routed;
      }
    }

    MessageStore.Move move() {
      return new MessageStore.Move(messageId, status, MessageStatus.replaceableBy(status), errorCode, errorTitle);
    }
  }

  private static StatusRecord record(InboundEvent.Status status) {
    return new StatusRecord(status.status(), status.timestamp(), status.errorCode(), status.errorTitle(), status.raw());
  }

  Future<Void> status(SqlClient tx, Channel channel, InboundEvent.Status status, Changes changes) {
    StatusRecord record = record(status);
    return messages.findByProviderId(tx, channel.id(), status.providerMessageId())
        .compose(found -> found.isPresent() ? Future.succeededFuture(found) : adopt(tx, channel, status))
        .compose(found -> {
          if (found.isEmpty()) {
            changes.pending++;
            return messages.keepPendingStatus(tx, channel.id(), status.providerMessageId(), record);
          }
          return statuses.apply(tx, found.get(), record, changes);
        });
  }

  /**
   * A status for a message Parley sent but whose acceptance it never recorded (it crashed, or the call timed
   * out, while the provider accepted it): the provider echoes the message id Parley put in
   * {@code biz_opaque_callback_data}. The message takes the provider's id and leaves the outbound queue, so
   * it is never sent twice.
   */
  private Future<Optional<MessageRow>> adopt(SqlClient tx, Channel channel, InboundEvent.Status status) {
    UUID messageId = callbackMessageId(status.raw());
    if (messageId == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return messages.adoptOutbound(tx, channel.id(), messageId, status.providerMessageId()).compose(adopted -> adopted
        .isEmpty()
        ? Future.succeededFuture(adopted)
        : outbound.remove(tx, messageId).map(adopted));
  }

  private static UUID callbackMessageId(JsonObject raw) {
    Object data = raw == null ? null : raw.getValue("biz_opaque_callback_data");
    if (!(data instanceof String text) || text.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.store.ConversationStore.ConversationRow;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What one transaction changed: the events to publish, the notifications they cause and the conversation rows
 * to copy to Redis, all only after it commits ({@link Committer}). Discarded with the transaction when it rolls
 * back. Confined to one event loop.
 */
public final class Changes {
  final List<OrgEvent> events = new ArrayList<>();
  final Map<UUID, ConversationRow> conversations = new LinkedHashMap<>();
  /** Targeted, unnumbered push messages (see {@code push.PushMessage}), sent after the events. */
  final List<JsonObject> notifications = new ArrayList<>();
  /** Work to run once the transaction committed and its events are out (e.g. telling the provider). */
  final List<Runnable> afterCommit = new ArrayList<>();
  int applied;
  int duplicates;
  int pending;
  int skipped;

  public void event(String type, UUID organizationId, JsonObject data) {
    events.add(new OrgEvent(type, organizationId, data));
  }

  /** Keeps the newest version of each conversation the transaction touched. */
  public void conversation(ConversationRow row) {
    conversations.merge(row.id(), row, (a, b) -> a.version() >= b.version() ? a : b);
  }

  /** Runs {@code action} after the commit, only if the transaction commits. */
  public void afterCommit(Runnable action) {
    afterCommit.add(action);
  }

  /** All of {@code parts} as one, in order: what a group of transactions' worth of work changed. */
  static Changes combined(List<Changes> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    var all = new Changes();
    for (Changes part : parts) {
      all.events.addAll(part.events);
      part.conversations.values().forEach(all::conversation);
      all.notifications.addAll(part.notifications);
      all.afterCommit.addAll(part.afterCommit);
    }
    return all;
  }

  ApplyResult result() {
    return new ApplyResult(applied, duplicates, pending, skipped);
  }
}

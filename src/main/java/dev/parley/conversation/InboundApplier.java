package dev.parley.conversation;

import dev.parley.channel.Channel;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.provider.ProviderRegistry;
import dev.parley.store.Database;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies webhooks' events to PostgreSQL, one group of webhooks per transaction: contacts, conversations,
 * messages, statuses, reactions, edits and identity changes. Idempotent: applying the same batch twice changes nothing
 * the second time. Returns what changed so the caller can update Redis and publish after commit.
 */
final class InboundApplier {
  private static final Logger log = LoggerFactory.getLogger(InboundApplier.class);
  private static final int MAX_ATTEMPTS = 3;

  private final Pool pool;
  private final InboundMessagesOneByOne oneByOne;
  private final InboundMessages messages;
  private final InboundStatuses statuses = new InboundStatuses();
  private final InboundUpdates updates;

  InboundApplier(Pool pool, ProviderRegistry providers, Duration serviceWindow) {
    this.pool = pool;
    this.oneByOne = new InboundMessagesOneByOne(providers, serviceWindow);
    this.messages = new InboundMessages(oneByOne);
    this.updates = new InboundUpdates(oneByOne);
  }

  /**
   * Applies several webhooks' batches in one transaction (a group commit: one commit, one fsync, for all of them),
   * keeping each batch's changes and counts apart. The events of all batches are applied together in
   * {@link #ORDER}, so a retried webhook arriving beside its first delivery is still applied once.
   */
  Future<List<Changes>> apply(List<InboundBatch> batches) {
    return apply(batches, tx -> Future.succeededFuture());
  }

  /**
   * As {@link #apply(List)}, and runs {@code alsoInTransaction} in the same transaction, pipelined with the events'
   * first statements (the projector records the log position it reached there, so a commit holds both or neither).
   */
  Future<List<Changes>> apply(List<InboundBatch> batches, Function<SqlClient, Future<Void>> alsoInTransaction) {
    // a stable order (identity changes, messages, edits, reactions, statuses; then by sender and time) makes
    // concurrent transactions take row locks in the same order, which keeps deadlocks rare
    List<Routed> events = ordered(batches.stream().flatMap(batch -> batch.events().stream()).toList());
    return attempt(batches, events, alsoInTransaction, 1);
  }

  private Future<List<Changes>> attempt(List<InboundBatch> batches, List<Routed> events,
      Function<SqlClient, Future<Void>> alsoInTransaction, int attempt) {
    // one transaction, BEGIN pipelined with the first statements, on generic plans: the statements take the batch as
    // arrays, and left to choose PostgreSQL planned them anew on every execution (a quarter of their time at
    // 1,000 msg/s; docs/performance.md, seventh pass), although their plans do not depend on the values
    return Database.onGenericPlans(pool, tx -> {
      // each event's changes go to its own webhook's; identity, since a retry's events equal the first delivery's
      Map<Routed, Changes> owner = new IdentityHashMap<>();
      List<Changes> changes = new ArrayList<>(batches.size());
      for (InboundBatch batch : batches) {
        var batchChanges = new Changes();
        changes.add(batchChanges);
        batch.events().forEach(routed -> owner.put(routed, batchChanges));
      }
      // the caller's statement goes first and is not waited for: it is pipelined with the first phase's, which
      // saves the projection one round trip per batch (a failure of either fails the transaction)
      Future<Void> also = alsoInTransaction.apply(tx);
      Future<Void> chain = Future.succeededFuture();
      for (List<List<Routed>> phase : phases(events)) {
        if (phase.get(0).get(0).event() instanceof InboundEvent.Message) {
          // the bulk of any group: its new messages are applied set-based
          chain = chain.compose(v -> messages.messages(tx, phase.stream().flatMap(List::stream).toList(), owner));
          continue;
        }
        if (phase.get(0).get(0).event() instanceof InboundEvent.Status) {
          chain = chain.compose(v -> statuses.statuses(tx, phase.stream().flatMap(List::stream).toList(), owner));
          continue;
        }
        // the groups of a phase touch different rows, so their statements are pipelined on the one connection
        chain = chain.compose(v -> inGroups(tx, phase, owner));
      }
      return Future.all(also, chain).map(changes);
    }).recover(failure -> {
      if (attempt < MAX_ATTEMPTS && failure instanceof PgException pg
          && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()))) {
        log.info("retrying inbound batch after {} (attempt {})", pg.getSqlState(), attempt);
        return attempt(batches, events, alsoInTransaction, attempt + 1);
      }
      return Future.failedFuture(failure);
    });
  }

  /** The events in {@link #ORDER}: kinds in turn, then channel, sender or target, and time. */
  static List<Routed> ordered(List<Routed> events) {
    return events.stream().sorted(ORDER).toList();
  }

  private Future<Void> inGroups(SqlClient tx, List<List<Routed>> groups, Map<Routed, Changes> owner) {
    return Future.join(groups.stream()
        .map(group -> InboundSteps.inOrder(group, routed -> applyOne(tx, routed, owner.get(routed))))
        .toList()).mapEmpty();
  }

  /**
   * The sorted events as phases, applied one after the other in {@link #ORDER}'s kinds (identity changes, messages,
   * edits, reactions, statuses), each phase as groups applied concurrently: one group per sender for messages
   * (one sender's messages go to one contact and conversation, in order) and one per message for statuses; the
   * rarer kinds stay one group, in order.
   */
  static List<List<List<Routed>>> phases(List<Routed> sorted) {
    List<List<List<Routed>>> phases = new ArrayList<>();
    Map<String, List<Routed>> groups = null;
    int rank = -1;
    for (Routed routed : sorted) {
      int r = rank(routed.event());
      if (r != rank || groups == null) {
        if (groups != null) {
          phases.add(List.copyOf(groups.values()));
        }
        groups = new LinkedHashMap<>();
        rank = r;
      }
      String key = routed.event() instanceof InboundEvent.Message || routed.event() instanceof InboundEvent.Status
          ? routed.channel().id() + "/" + sortKey(routed.event())
          : "";
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(routed);
    }
    if (groups != null) {
      phases.add(List.copyOf(groups.values()));
    }
    return phases;
  }

  private Future<Void> applyOne(SqlClient tx, Routed routed, Changes changes) {
    Channel channel = routed.channel();
    InboundEvent event = routed.event();
    if (event instanceof InboundEvent.Message message) {
      return oneByOne.message(tx, channel, message, null, changes);
    } else if (event instanceof InboundEvent.Status status) {
      return statuses.status(tx, channel, status, changes);
    } else if (event instanceof InboundEvent.Reaction reaction) {
      return updates.reaction(tx, channel, reaction, changes);
    } else if (event instanceof InboundEvent.Edit edit) {
      return updates.edit(tx, channel, edit, changes);
    } else if (event instanceof InboundEvent.IdentityChange change) {
      return updates.identityChange(tx, channel, change, changes);
    }
    return updates.providerError(tx, channel, (InboundEvent.ProviderError) event, changes);
  }

  private static final Comparator<Routed> ORDER = Comparator
      .comparingInt((Routed r) -> rank(r.event()))
      .thenComparing(r -> r.channel().id())
      .thenComparing(r -> sortKey(r.event()))
      .thenComparing(r -> r.event() instanceof InboundEvent.Message m ? m.timestamp() : Instant.EPOCH);

  private static int rank(InboundEvent event) {
    if (event instanceof InboundEvent.IdentityChange) {
      return 0;
    } else if (event instanceof InboundEvent.Message) {
      return 1;
    } else if (event instanceof InboundEvent.Edit) {
      return 2;
    } else if (event instanceof InboundEvent.Reaction) {
      return 3;
    } else if (event instanceof InboundEvent.Status) {
      return 4;
    }
    return 5;
  }

  private static String sortKey(InboundEvent event) {
    if (event instanceof InboundEvent.Message m) {
      return m.sender().externalId();
    } else if (event instanceof InboundEvent.Edit e) {
      return e.originalProviderId();
    } else if (event instanceof InboundEvent.Reaction r) {
      return r.targetProviderId();
    } else if (event instanceof InboundEvent.Status s) {
      return s.providerMessageId();
    } else if (event instanceof InboundEvent.IdentityChange c) {
      return String.valueOf(c.previousExternalId());
    }
    return "";
  }
}

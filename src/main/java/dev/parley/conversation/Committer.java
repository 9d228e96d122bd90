package dev.parley.conversation;

import dev.parley.push.EventPublisher;
import dev.parley.store.ConversationCache;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a unit of work in one PostgreSQL transaction and, only once it has committed, makes its {@link Changes}
 * visible: the touched conversations are copied to Redis first (so a client reacting to an event reads the new
 * counters), then the events are numbered (in the same pipeline) and published, then the notifications they cause are sent. Shared by
 * the inbound pipeline and every REST route that changes conversations or contacts.
 */
public final class Committer {
  private static final Logger log = LoggerFactory.getLogger(Committer.class);

  private final Pool pool;
  private final ConversationCache cache;
  private final EventPublisher publisher;
  private final StateRebuilder rebuilder;

  public Committer(Pool pool, ConversationCache cache, EventPublisher publisher, StateRebuilder rebuilder) {
    this.pool = pool;
    this.cache = cache;
    this.publisher = publisher;
    this.rebuilder = rebuilder;
  }

  /** Runs {@code work} in a transaction; its result once the transaction committed and its changes are out. */
  public <T> Future<T> transaction(BiFunction<SqlConnection, Changes, Future<T>> work) {
    var changes = new Changes();
    return pool.<T>withTransaction(tx -> work.apply(tx, changes))
        .compose(result -> afterCommit(changes).map(result));
  }

  /**
   * Publishes what a committed transaction changed: the conversations' new state and the events' numbers go to
   * Redis in one pipeline, state first. Never fails: PostgreSQL already holds the truth.
   */
  public Future<Void> afterCommit(Changes changes) {
    return publisher.publish(changes.events, cache.putRequests(List.copyOf(changes.conversations.values())))
        .onSuccess(stored -> {
          if (!stored && !changes.conversations.isEmpty()) {
            // the periodic state check rebuilds Redis from PostgreSQL when it comes back
            log.warn("Redis update after commit failed; state will be rebuilt");
            rebuilder.requestRebuild();
          }
          publisher.direct(changes.notifications);
          changes.afterCommit.forEach(Runnable::run);
        })
        .mapEmpty();
  }
}

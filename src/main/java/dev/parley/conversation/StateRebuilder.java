package dev.parley.conversation;

import dev.parley.store.ConversationCache;
import dev.parley.store.ConversationStore;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds what Redis holds for conversations (unread counts, window expiries, unfired window timers) from
 * PostgreSQL, a page at a time. Safe while webhooks are applied: versioned writes never overwrite newer state.
 * One instance per node, shared by the verticles; thread-safe.
 */
public final class StateRebuilder {
  private static final Logger log = LoggerFactory.getLogger(StateRebuilder.class);
  private static final int PAGE = 1_000;
  /** Set when a Redis write failed; the next state check rebuilds even if Redis kept its marker. */
  private final AtomicBoolean requested = new AtomicBoolean();

  private final Pool pool;
  private final ConversationCache cache;
  private final ConversationStore conversations = new ConversationStore();

  public StateRebuilder(Pool pool, ConversationCache cache) {
    this.pool = pool;
    this.cache = cache;
  }

  void requestRebuild() {
    requested.set(true);
  }

  /** Rebuilds when Redis lost its state (or a write failed); completes with whether it rebuilt. */
  Future<Boolean> rebuildIfNeeded() {
    boolean wanted = requested.getAndSet(false);
    return cache.isBuilt()
        .compose(built -> built && !wanted ? Future.succeededFuture(false) : rebuild().map(true))
        .onFailure(failure -> requested.compareAndSet(false, wanted));
  }

  /** Completes with the number of conversations copied. */
  public Future<Integer> rebuild() {
    long start = System.nanoTime();
    return page(new UUID(0, 0), 0)
        .compose(count -> cache.markBuilt().map(count))
        .onSuccess(count -> log.info("rebuilt Redis state of {} conversation(s) in {} ms",
            count, (System.nanoTime() - start) / 1_000_000));
  }

  private Future<Integer> page(UUID after, int done) {
    return conversations.pageForRebuild(pool, after, PAGE).compose(rows -> {
      if (rows.isEmpty()) {
        return Future.succeededFuture(done);
      }
      return cache.put(rows).compose(v -> rows.size() < PAGE
          ? Future.succeededFuture(done + rows.size())
          : page(rows.get(rows.size() - 1).id(), done + rows.size()));
    });
  }
}

package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.config.ParleyConfig;
import dev.parley.push.EventPublisher;
import dev.parley.store.ConversationCache;
import dev.parley.store.ConversationCache.WindowTimer;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.MessageStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Service-window timers and the upkeep of derived state. Every poll interval it pops the due timers from Redis
 * (atomically, so one node gets each), confirms each against PostgreSQL (the window may have moved, and a
 * timer fires once per window: the row records which expiry has fired) and publishes {@code window.closing} or
 * {@code window.closed}. At start, and whenever Redis has lost its state, it rebuilds the counters and
 * reschedules every unfired timer from PostgreSQL, so timers that fell due while Parley was down fire at once.
 * It also purges statuses whose message never appeared. Deploy one instance per node.
 */
public final class WindowTimerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(WindowTimerVerticle.class);
  private static final int BATCH = 500;

  private final Pool pool;
  private final ConversationCache cache;
  private final StateRebuilder rebuilder;
  private final ParleyConfig.Conversation config;
  private final MeterRegistry metrics;
  private final EventPublisher publisher;
  private final ConversationStore conversations = new ConversationStore();
  private final MessageStore messages = new MessageStore();
  private boolean polling;
  /** The last poll failed (Redis unavailable): one warning for the whole outage, not one a second. */
  private boolean pollFailing;

  public WindowTimerVerticle(Pool pool, ConversationCache cache, StateRebuilder rebuilder,
      ParleyConfig.Conversation config, MeterRegistry metrics, EventPublisher publisher) {
    this.publisher = publisher;
    this.pool = pool;
    this.cache = cache;
    this.rebuilder = rebuilder;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    return rebuilder.rebuild().onSuccess(v -> {
      vertx.setPeriodic(config.timerPollInterval().toMillis(), id -> poll());
      vertx.setPeriodic(config.stateCheckInterval().toMillis(), id -> upkeep());
    });
  }

  private void poll() {
    if (polling) {
      return;
    }
    polling = true;
    Instant now = Instant.now();
    cache.popDue(now, BATCH)
        .compose(due -> fireAll(due, now).map(due.size()))
        .onComplete(done -> {
          polling = false;
          if (done.succeeded()) {
            pollFailing = false;
          }
          if (done.failed()) {
            // a pop that timed out may still have removed its timers in Redis: the rebuild schedules every unfired
            // timer again from PostgreSQL (firing is guarded there, so none fires twice)
            rebuilder.requestRebuild();
            if (!pollFailing) {
              log.warn("window timer poll failed: {}; timers are rebuilt from PostgreSQL once Redis answers",
                  done.cause().toString());
            }
            pollFailing = true;
          } else if (done.result() == BATCH) {
            vertx.runOnContext(v -> poll()); // more are due
          }
        });
  }

  private Future<Void> fireAll(List<WindowTimer> due, Instant now) {
    Future<Void> chain = Future.succeededFuture();
    List<WindowTimer> retry = new ArrayList<>();
    for (WindowTimer timer : due) {
      chain = chain.compose(v -> fire(timer, now).recover(failure -> {
        retry.add(timer);
        return Future.succeededFuture();
      }));
    }
    // a timer whose check failed (store down) goes back to Redis and is tried again next poll
    return chain.compose(v -> retry.isEmpty()
        ? Future.succeededFuture()
        : cache.schedule(retry, retry.stream().map(t -> now).toList()));
  }

  private Future<Void> fire(WindowTimer timer, Instant now) {
    return conversations.find(pool, timer.conversationId()).compose(found -> {
      if (found.isEmpty() || found.get().windowExpiresAt() == null) {
        return Future.succeededFuture();
      }
      ConversationRow row = found.get();
      Instant expiry = row.windowExpiresAt();
      Instant dueAt = timer.closing() ? expiry.minus(config.windowClosingLead()) : expiry;
      if (dueAt.isAfter(now)) { // the window moved: wait for its new time
        return cache.schedule(List.of(timer), List.of(dueAt));
      }
      // a closing notice for a window that has already closed (Parley was down) is marked but not sent
      boolean stale = timer.closing() && !expiry.isAfter(now);
      return conversations.markWindowFired(pool, row.id(), timer.closing(), expiry).map(marked -> {
        if (!stale) {
          marked.ifPresent(fired -> publish(fired, timer.closing()));
        }
        return null;
      });
    }).mapEmpty();
  }

  private void publish(ConversationRow row, boolean closing) {
    String type = closing ? OrgEvent.WINDOW_CLOSING : OrgEvent.WINDOW_CLOSED;
    var data = new JsonObject()
        .put("conversation_id", row.id().toString())
        .put("channel_id", row.channelId().toString())
        .put("contact_id", row.contactId().toString())
        .put("status", row.status())
        .put("window_expires_at", row.windowExpiresAt().toString());
    metrics.counter("parley.window.events", "event", type).increment();
    publisher.publish(List.of(new OrgEvent(type, row.organizationId(), data)));
  }

  private void upkeep() {
    rebuilder.rebuildIfNeeded().onFailure(failure -> log.warn("state check failed: {}", failure.toString()));
    messages.purgePendingStatuses(pool, Instant.now().minus(config.pendingStatusRetention()))
        .onSuccess(purged -> {
          if (purged > 0) {
            log.info("dropped {} status(es) whose message never appeared", purged);
            metrics.counter("parley.statuses.pending.dropped").increment(purged);
          }
        });
  }
}

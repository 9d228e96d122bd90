package dev.parley.conversation;

import dev.parley.bus.Addresses;
import dev.parley.provider.ProviderRegistry;
import dev.parley.push.EventPublisher;
import dev.parley.store.ConversationCache;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conversation state: applies verified inbound batches ({@link Addresses#CONVERSATION_APPLY_INBOUND}) in one
 * transaction each; after commit it copies the touched conversations to Redis, numbers and publishes the events
 * ({@link EventPublisher}), then replies, so the webhook is acknowledged only once everything is durable.
 * Also answers {@link Addresses#CONVERSATION_REBUILD_STATE}. Several instances may run; they share nothing.
 */
public final class ConversationStateVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ConversationStateVerticle.class);

  private final Pool pool;
  private final ConversationCache cache;
  private final ProviderRegistry providers;
  private final Duration serviceWindow;
  private final StateRebuilder rebuilder;
  private final MeterRegistry metrics;
  private final EventPublisher publisher;
  private InboundApplier applier;

  public ConversationStateVerticle(Pool pool, ConversationCache cache, StateRebuilder rebuilder,
      ProviderRegistry providers, Duration serviceWindow, MeterRegistry metrics, EventPublisher publisher) {
    this.publisher = publisher;
    this.pool = pool;
    this.cache = cache;
    this.rebuilder = rebuilder;
    this.providers = providers;
    this.serviceWindow = serviceWindow;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    applier = new InboundApplier(pool, providers, serviceWindow);
    var bus = vertx.eventBus();
    return Future.all(
        bus.<InboundBatch>consumer(Addresses.CONVERSATION_APPLY_INBOUND, this::onInbound).completion(),
        bus.consumer(Addresses.CONVERSATION_REBUILD_STATE, this::onRebuild).completion());
  }

  private void onInbound(Message<InboundBatch> message) {
    applier.apply(message.body())
        .compose(changes -> afterCommit(changes).map(changes.result()))
        .onSuccess(result -> {
          count("applied", result.applied());
          count("duplicate", result.duplicates());
          count("pending", result.pending());
          count("skipped", result.skipped());
          message.reply(result);
        })
        .onFailure(failure -> {
          log.error("inbound batch of {} event(s) not stored: {}", message.body().events().size(), failure.toString());
          message.fail(503, "store unavailable: " + failure.getMessage());
        });
  }

  /**
   * Redis first (so a client reacting to an event reads the new counters), then the numbered events, then the
   * notifications they cause.
   */
  private Future<Void> afterCommit(Changes changes) {
    return cache.put(List.copyOf(changes.conversations.values()))
        .recover(failure -> {
          // PostgreSQL has the truth; the periodic state check rebuilds Redis when it comes back
          log.warn("Redis update after commit failed ({}); state will be rebuilt", failure.toString());
          rebuilder.requestRebuild();
          return Future.succeededFuture();
        })
        .compose(v -> publisher.publish(changes.events))
        .onSuccess(v -> publisher.direct(changes.notifications));
  }

  private void onRebuild(Message<Object> message) {
    rebuilder.rebuild().onComplete(done -> {
      if (done.succeeded()) {
        message.reply(done.result());
      } else {
        message.fail(503, done.cause().getMessage());
      }
    });
  }

  private void count(String outcome, int amount) {
    if (amount > 0) {
      metrics.counter("parley.inbound.events", "outcome", outcome).increment(amount);
    }
  }
}

package dev.parley.conversation;

import dev.parley.bus.Addresses;
import dev.parley.channel.ChannelActivity;
import dev.parley.provider.ProviderRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conversation state: applies verified inbound batches ({@link Addresses#CONVERSATION_APPLY_INBOUND}) in one
 * transaction each; after commit ({@link Committer}) it copies the touched conversations to Redis, numbers and
 * publishes the events, then replies, so the webhook is acknowledged only once everything is durable.
 * Also answers {@link Addresses#CONVERSATION_REBUILD_STATE}. Several instances may run; they share nothing.
 */
public final class ConversationStateVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(ConversationStateVerticle.class);

  private final Pool pool;
  private final Committer committer;
  private final ProviderRegistry providers;
  private final Duration serviceWindow;
  private final StateRebuilder rebuilder;
  private final MeterRegistry metrics;
  private final ChannelActivity activity;
  private InboundApplier applier;

  public ConversationStateVerticle(Pool pool, Committer committer, StateRebuilder rebuilder,
      ProviderRegistry providers, Duration serviceWindow, ChannelActivity activity, MeterRegistry metrics) {
    this.activity = activity;
    this.pool = pool;
    this.committer = committer;
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
        .compose(changes -> committer.afterCommit(changes).map(changes.result()))
        .onSuccess(result -> {
          Instant now = Instant.now();
          message.body().events().forEach(routed -> activity.inbound(routed.channel().id(), now));
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

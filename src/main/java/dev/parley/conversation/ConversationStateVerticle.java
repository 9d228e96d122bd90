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
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conversation state: applies verified inbound batches ({@link Addresses#CONVERSATION_APPLY_INBOUND}), the
 * webhooks that arrive together in one transaction (group commit); after commit ({@link Committer}) it copies the
 * touched conversations to Redis, numbers and publishes the events, then replies to each webhook, so a webhook is
 * acknowledged only once everything is durable.
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
  /** Inbound transactions each instance runs at once. */
  private static final int TRANSACTIONS = 2;
  /** The most events one group commit takes. */
  private static final int MAX_GROUP_EVENTS = 500;

  /**
   * Group commit: webhooks that arrive while {@link #TRANSACTIONS} transactions run go together into the next one,
   * so under load many webhooks share one commit (and one fsync).
   */
  private final GroupQueue<Message<InboundBatch>> inbound = new GroupQueue<>(TRANSACTIONS, MAX_GROUP_EVENTS,
      message -> message.body().events().size(), this::applyGroup);
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
    inbound.add(message);
  }

  private Future<Void> applyGroup(List<Message<InboundBatch>> group) {
    metrics.summary("parley.inbound.group.webhooks").record(group.size());
    return apply(group);
  }

  /** Applies the group in one transaction and answers each webhook; never fails. */
  private Future<Void> apply(List<Message<InboundBatch>> group) {
    List<InboundBatch> batches = group.stream().map(Message::body).toList();
    return applier.apply(batches)
        .compose(changes -> committer.afterCommit(Changes.combined(changes)).map(changes))
        .compose(changes -> {
          Instant now = Instant.now();
          for (int i = 0; i < group.size(); i++) {
            ApplyResult result = changes.get(i).result();
            batches.get(i).events().forEach(routed -> activity.inbound(routed.channel().id(), now));
            count("applied", result.applied());
            count("duplicate", result.duplicates());
            count("pending", result.pending());
            count("skipped", result.skipped());
            group.get(i).reply(result);
          }
          return Future.<Void>succeededFuture();
        }, failure -> {
          if (group.size() > 1) {
            // one webhook's failure must not fail the others: each one alone, in its own transaction
            log.warn("group of {} webhooks not stored ({}); applying each alone", group.size(), failure.toString());
            return Future.join(group.stream().map(message -> apply(List.of(message))).toList()).mapEmpty();
          }
          log.error("inbound batch of {} event(s) not stored: {}", batches.get(0).events().size(), failure.toString());
          group.get(0).fail(503, "store unavailable: " + failure.getMessage());
          return Future.succeededFuture();
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

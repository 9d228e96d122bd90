package dev.parley.dispatch;

import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.channel.ChannelActivity;
import dev.parley.channel.ChannelDirectory;
import dev.parley.config.ParleyConfig;
import dev.parley.conversation.Changes;
import dev.parley.conversation.Committer;
import dev.parley.conversation.MessageStatuses;
import dev.parley.conversation.TransactionGroups;
import dev.parley.provider.ProviderErrors;
import dev.parley.provider.ProviderException;
import dev.parley.provider.whatsapp.WhatsAppGraph;
import dev.parley.store.ChannelStore;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.StatusRecord;
import dev.parley.store.OutboundQueue;
import dev.parley.store.OutboundQueue.Job;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends queued messages to the provider. A message is claimed (leased, with the attempt recorded) before the
 * call, paced by {@link Pacer}, and then either accepted ({@code sent} with the provider's id, in one transaction
 * with any statuses that raced ahead), retried later with exponential backoff and jitter (rate limits, provider
 * trouble, no answer), or failed with the provider's code. A claimed message whose previous attempt has no known
 * outcome (the node crashed or the call timed out) is first reconciled: if a status webhook has meanwhile named it
 * (by {@code biz_opaque_callback_data}) it was accepted and is not sent again; otherwise it waits the
 * reconciliation grace for such a webhook before it is sent again. Works from its own small PostgreSQL pool so
 * bulk sending never delays webhooks. Under load, the statements are shared: messages announced in one event-loop
 * turn are claimed in one statement, and so are the recipients' next messages; acceptances and failures are
 * committed many to a transaction ({@link TransactionGroups}).
 */
public final class DispatchVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(DispatchVerticle.class);
  /** Waits for the pacer up to this long holding the lease; longer waits put the message back in the queue. */
  private static final long MAX_HELD_WAIT_MS = 1_000;

  private final Pool pool;
  private final Committer committer;
  private final ChannelStore channelStore;
  private final ChannelActivity activity;
  private final WhatsAppGraph graph;
  private final Pacer pacer;
  private final MediaUploads uploads;
  private final Sender sender;
  private final ParleyConfig.Dispatch config;
  private final MeterRegistry metrics;
  private final OutboundQueue queue = new OutboundQueue();
  private final MessageStore messages = new MessageStore();
  private final MessageStatuses statuses = new MessageStatuses(messages);
  private ChannelDirectory channels;
  /** Acceptances and final failures, many to a transaction under load. */
  private TransactionGroups acceptances;
  /** Messages announced as queued, claimed together at the end of the event-loop turn. */
  private final List<UUID> announced = new ArrayList<>();
  /** Recipients whose previous message left the queue, their next ones claimed together likewise. */
  private final Map<UUID, Set<String>> freed = new LinkedHashMap<>();
  private int inFlight;
  private boolean polling;
  private boolean stopping;
  private Counter sent;
  private Counter retried;
  private Counter failed;
  private Timer acceptance;
  private final AtomicLong queueDepth = new AtomicLong();

  /** Resolves a Parley media file to a provider media id for a channel (uploading it when needed). */
  public interface MediaUploads {
    Future<String> providerMediaId(Channel channel, UUID organizationId, UUID mediaId);
  }

  public DispatchVerticle(Pool pool, Committer committer, ChannelStore channelStore, WhatsAppGraph graph, Pacer pacer,
      MediaUploads uploads, Sender sender, ChannelActivity activity, ParleyConfig.Dispatch config, MeterRegistry metrics) {
    this.activity = activity;
    this.pool = pool;
    this.committer = committer;
    this.channelStore = channelStore;
    this.graph = graph;
    this.pacer = pacer;
    this.uploads = uploads;
    this.sender = sender;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    channels = new ChannelDirectory(channelStore, Duration.ofSeconds(5));
    acceptances = new TransactionGroups(pool, committer, 2, 200);
    sent = metrics.counter("parley.dispatch.messages", "outcome", "sent");
    retried = metrics.counter("parley.dispatch.messages", "outcome", "retry");
    failed = metrics.counter("parley.dispatch.messages", "outcome", "failed");
    acceptance = Timer.builder("parley.dispatch.acceptance").description("queued until the provider accepted it")
        .publishPercentileHistogram().register(metrics);
    metrics.gauge("parley.dispatch.queue.depth", queueDepth);
    var bus = vertx.eventBus();
    bus.<String>localConsumer(Addresses.DISPATCH_QUEUED, message -> claimQueued(UUID.fromString(message.body())));
    bus.<JsonObject>localConsumer(Addresses.DISPATCH_MARK_READ, message -> markRead(message.body()));
    bus.<JsonObject>consumer(Addresses.DISPATCH_SEND, message -> SendCommand.handle(sender, message));
    vertx.setPeriodic(config.pollInterval().toMillis(), id -> poll());
    vertx.setPeriodic(Duration.ofMinutes(10).toMillis(), id -> queue.purgeKeys(pool, Instant.now().minus(Duration.ofDays(7))));
    vertx.setPeriodic(Duration.ofSeconds(5).toMillis(), id -> queue.depth(pool).onSuccess(queueDepth::set));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    stopping = true; // leases of messages in flight expire; their attempts are reconciled by whoever claims them
    return Future.succeededFuture();
  }

  private void claimQueued(UUID messageId) {
    if (stopping || inFlight + announced.size() >= config.concurrency()) {
      return; // the poll finds it
    }
    announced.add(messageId);
    if (announced.size() == 1) {
      vertx.runOnContext(v -> claimAnnounced());
    }
  }

  private void claimAnnounced() {
    List<UUID> ids = List.copyOf(announced);
    announced.clear();
    inFlight += ids.size(); // reserve the slots while claiming
    queue.claim(pool, config.lease(), ids).onComplete(claimed -> {
      inFlight -= ids.size();
      if (claimed.succeeded()) {
        claimed.result().forEach(this::work);
      }
    });
  }

  /** The recipient's next message, if one waits: claimed with the others freed in this event-loop turn. */
  private void claimNext(UUID channelId, String recipient) {
    if (stopping) {
      return;
    }
    boolean first = freed.isEmpty();
    freed.computeIfAbsent(channelId, id -> new LinkedHashSet<>()).add(recipient);
    if (first) {
      vertx.runOnContext(v -> claimFreed());
    }
  }

  private void claimFreed() {
    List<UUID> channelIds = new ArrayList<>();
    List<String> recipients = new ArrayList<>();
    freed.forEach((channelId, set) -> set.forEach(recipient -> {
      channelIds.add(channelId);
      recipients.add(recipient);
    }));
    freed.clear();
    inFlight += recipients.size();
    queue.claimNext(pool, config.lease(), channelIds, recipients).onComplete(claimed -> {
      inFlight -= recipients.size();
      if (claimed.succeeded()) {
        claimed.result().forEach(this::work);
      } else {
        log.warn("claiming the next messages of {} recipient(s) failed: {}; the poll finds them", recipients.size(),
            claimed.cause().toString());
      }
    });
  }

  private void poll() {
    int free = config.concurrency() - inFlight;
    if (stopping || polling || free <= 0) {
      return;
    }
    polling = true;
    queue.claimDue(pool, config.lease(), Math.min(free, 500)).onComplete(claimed -> {
      polling = false;
      if (claimed.failed()) {
        log.warn("dispatch poll failed: {}", claimed.cause().toString());
        return;
      }
      claimed.result().forEach(this::work);
      if (claimed.result().size() == Math.min(free, 500) && inFlight < config.concurrency()) {
        vertx.runOnContext(v -> poll());
      }
    });
  }

  /** Works one leased message to its next state; then the recipient's next message, if one waits. */
  private void work(Job job) {
    inFlight++;
    channels.byId(job.channelId())
        .compose(channel -> attempt(job, channel.orElseThrow()))
        .recover(failure -> {
          log.warn("dispatch of message {} interrupted: {}", job.messageId(), failure.toString());
          return Future.succeededFuture(false); // the lease expires and the message is claimed again
        })
        .onComplete(done -> {
          inFlight--;
          if (done.succeeded() && done.result() && !stopping) {
            claimNext(job.channelId(), job.recipient());
          }
        });
  }

  /** @return whether the message left the queue (so the recipient's next one may go) */
  private Future<Boolean> attempt(Job job, Channel channel) {
    if (job.previousAttempt() != null) {
      return reconcile(job, channel);
    }
    return paced(job, channel);
  }

  private Future<Boolean> reconcile(Job job, Channel channel) {
    return messages.findById(pool, job.messageId()).compose(found -> {
      if (found.isEmpty()) {
        return queue.remove(pool, job.messageId());
      }
      if (found.get().providerMessageId() != null) {
        // a status webhook proved the interrupted attempt was accepted: record it, never send again
        return accepted(job, channel, found.get().providerMessageId()).map(true);
      }
      Instant retryAt = job.previousAttempt().plus(config.reconcileGrace());
      if (retryAt.isAfter(Instant.now())) {
        return queue.release(pool, job.messageId(), retryAt, job.previousAttempt()).map(false);
      }
      log.info("message {}: no sign the interrupted attempt reached the provider within {}; sending again",
          job.messageId(), config.reconcileGrace());
      return paced(job, channel);
    });
  }

  private Future<Boolean> paced(Job job, Channel channel) {
    if (Instant.now().isAfter(job.deadline())) {
      return fail(job, new ProviderException(ProviderException.TIMEOUT, "Not accepted in time",
          "the provider did not accept the message before the dispatch deadline", 0));
    }
    return pacer.take(channel.id(), job.recipient()).compose(wait -> {
      if (wait == 0) {
        return call(job, channel);
      }
      if (wait <= MAX_HELD_WAIT_MS) {
        return sleep(wait).compose(v -> paced(job, channel));
      }
      return queue.release(pool, job.messageId(), Instant.now().plusMillis(wait), null).map(false);
    });
  }

  private Future<Boolean> call(Job job, Channel channel) {
    return resolveMedia(job, channel)
        .compose(request -> graph.send(channel, request))
        .compose(
            accepted -> accepted(job, channel, accepted.messageId()).map(true),
            failure -> failure instanceof ProviderException refused
                ? refused(job, refused)
                : refused(job, new ProviderException(ProviderException.TRANSPORT, "Send failed", failure.toString(), 0)));
  }

  private Future<JsonObject> resolveMedia(Job job, Channel channel) {
    JsonObject request = job.request();
    String type = request.getString("type");
    JsonObject media = OutboundDraft.MEDIA.contains(type) ? request.getJsonObject(type) : null;
    if (media == null || media.getString("media_id") == null) {
      return Future.succeededFuture(request);
    }
    return uploads.providerMediaId(channel, job.organizationId(), UUID.fromString(media.getString("media_id")))
        .map(providerId -> {
          JsonObject resolved = request.copy();
          JsonObject part = resolved.getJsonObject(type);
          part.remove("media_id");
          part.put("id", providerId);
          return resolved;
        });
  }

  /** The provider accepted the message: {@code sent}, with its id, and whatever statuses raced ahead of it. */
  private Future<Void> accepted(Job job, Channel channel, String providerMessageId) {
    Instant now = Instant.now();
    return acceptances.submit((tx, changes) -> messages.acceptOutbound(tx, job.messageId(), providerMessageId)
            .compose(v -> messages.findById(tx, job.messageId()))
            .compose(found -> {
              MessageRow message = found.orElseThrow();
              if (!providerMessageId.equals(message.providerMessageId())) {
                log.warn("message {} was accepted twice ({} and {})", message.id(), message.providerMessageId(),
                    providerMessageId);
              }
              // whole seconds, like the provider's own status times, so the history sorts sent before delivered
              var status = new StatusRecord("sent", now.truncatedTo(ChronoUnit.SECONDS), null, null,
                  new JsonObject().put("source", "send_response"));
              return statuses.apply(tx, message, status, changes)
                  .compose(v -> "reaction".equals(message.type()) ? react(tx, channel, message, changes)
                      : Future.succeededFuture())
                  .compose(v -> statuses.adoptPending(tx, channel.id(), message.providerMessageId(), changes));
            })
            .compose(v -> queue.remove(tx, job.messageId())).<Void>mapEmpty())
        .onSuccess(v -> {
          activity.sent(channel.id(), now);
          sent.increment();
          acceptance.record(Duration.between(job.queuedAt(), now).toNanos(), TimeUnit.NANOSECONDS);
        });
  }

  /** The business's reaction takes effect on its target once the provider has it. */
  private Future<Void> react(SqlClient tx, Channel channel, MessageRow reaction, Changes changes) {
    JsonObject part = reaction.content().getJsonObject("reaction");
    return messages.findById(tx, UUID.fromString(part.getString("message_id"))).compose(target -> {
      if (target.isEmpty() || target.get().providerMessageId() == null) {
        return Future.succeededFuture();
      }
      MessageRow row = target.get();
      return messages.react(tx, channel.id(), row.providerMessageId(), "business", part.getString("emoji"),
              Instant.now(), reaction.providerMessageId(), reaction.senderId())
          .compose(changed -> !changed
              ? Future.succeededFuture()
              : messages.reactions(tx, channel.id(), row.providerMessageId()).map(reactions -> {
                changes.event(OrgEvent.MESSAGE_UPDATED, row.organizationId(), row.toJson(reactions));
                return null;
              }));
    });
  }

  private Future<Boolean> refused(Job job, ProviderException error) {
    if (!ProviderErrors.retryable(error.code())) {
      return fail(job, error).map(true);
    }
    Duration delay = backoff(job.attempts(), error.code());
    boolean unknown = ProviderErrors.outcomeUnknown(error.code());
    if (unknown && delay.compareTo(config.reconcileGrace()) < 0) {
      delay = config.reconcileGrace(); // the provider may have it: give its status webhook time to say so
    }
    Instant due = Instant.now().plus(delay);
    if (due.isAfter(job.deadline())) {
      return fail(job, error).map(true);
    }
    retried.increment();
    log.debug("message {} attempt {} refused ({}); again in {}", job.messageId(), job.attempts(), error.code(), delay);
    return queue.retryLater(pool, job.messageId(), due, error.code(), error.getMessage(), unknown).map(false);
  }

  /**
   * Exponential backoff with jitter: base × 2^(attempt−1), capped, times a random factor in [0.5, 1]. The pair
   * rate limit (131056) follows WhatsApp's advice instead: 4^(attempt−1) seconds.
   */
  Duration backoff(int attempts, int code) {
    int exponent = Math.min(Math.max(attempts - 1, 0), 20);
    long millis = code == 131056
        ? (long) Math.pow(4, Math.min(exponent, 8)) * 1000
        : config.retryBase().toMillis() << Math.min(exponent, 16);
    millis = Math.min(millis, config.retryMaxDelay().toMillis());
    return Duration.ofMillis((long) (millis * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5)));
  }

  /** A final failure: the message is {@code failed} with the provider's code and title, and leaves the queue. */
  private Future<Boolean> fail(Job job, ProviderException error) {
    var status = new StatusRecord("failed", Instant.now(), error.code(), error.title(),
        new JsonObject().put("source", "send_response").put("details", error.details()));
    return acceptances.submit((tx, changes) -> messages.findById(tx, job.messageId())
            .compose(found -> found.isEmpty()
                ? Future.<Void>succeededFuture()
                : statuses.apply(tx, found.get(), status, changes))
            .compose(v -> queue.remove(tx, job.messageId()))
            .compose(v -> ChannelStore.recordError(tx, job.channelId(), error.getMessage(), Instant.now())))
        .onSuccess(v -> {
          failed.increment();
          log.info("message {} failed: {}", job.messageId(), error.getMessage());
        })
        .map(true);
  }

  private void markRead(JsonObject body) {
    UUID channelId = UUID.fromString(body.getString("channel_id"));
    String providerMessageId = body.getString("provider_message_id");
    channels.byId(channelId)
        .compose(channel -> channel.isEmpty() ? Future.succeededFuture() : graph.markRead(channel.get(), providerMessageId))
        .onFailure(failure -> log.info("mark-as-read of {} at the provider failed: {}", providerMessageId,
            failure.getMessage()));
  }

  private Future<Void> sleep(long millis) {
    return Future.future(promise -> vertx.setTimer(millis, id -> promise.complete()));
  }
}

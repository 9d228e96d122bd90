package dev.parley.schedule;

import dev.parley.config.ParleyConfig;
import dev.parley.dispatch.Sender;
import dev.parley.dispatch.Sender.Caller;
import dev.parley.dispatch.Sender.Outcome;
import dev.parley.http.ApiException;
import dev.parley.store.ScheduledMessageStore;
import dev.parley.store.ScheduledMessageStore.Completion;
import dev.parley.store.ScheduledMessageStore.ScheduledRow;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends scheduled messages when they fall due. Every poll interval it claims due rows ({@code FOR UPDATE SKIP
 * LOCKED}, moved to {@code sending} under a lease in the same statement), so each occurrence is claimed by one node
 * even when several run; a row whose node died mid-send is claimed again once its lease has run out, and because
 * every occurrence is sent with the idempotency key {@code schedule:<id>:<occurrence>} that second attempt answers
 * the message the first one stored instead of sending it again. Each occurrence goes through the {@link Sender},
 * which checks every sending rule as of now; {@code window_closed} with a fallback template sends the template
 * (under its own key, decided durably first); any other refusal marks the occurrence failed with its code. A
 * recurring row then moves to its next occurrence in its time zone. Failures of the store or the Sender itself
 * leave the row claimed, to be retried after the lease. The sent message's events come from the Sender. Deploy
 * one instance per node.
 */
public final class SchedulerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(SchedulerVerticle.class);
  private static final int BATCH = 100;

  private final Pool pool;
  private final Sender sender;
  private final ParleyConfig.Schedule config;
  private final MeterRegistry metrics;
  private final ScheduledMessageStore schedules = new ScheduledMessageStore();
  private boolean polling;
  private long timer = -1;

  public SchedulerVerticle(Pool pool, Sender sender, ParleyConfig.Schedule config, MeterRegistry metrics) {
    this.pool = pool;
    this.sender = sender;
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(config.pollInterval().toMillis(), id -> poll());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  private void poll() {
    if (polling) {
      return;
    }
    polling = true;
    schedules.claimDue(pool, config.lease(), BATCH)
        .compose(claimed -> Future.join(claimed.stream().map(this::fire).toList()).otherwiseEmpty().map(claimed.size()))
        .onComplete(done -> {
          polling = false;
          if (done.failed()) {
            log.warn("scheduled message poll failed: {}", done.cause().toString());
          } else if (done.result() == BATCH) {
            vertx.runOnContext(v -> poll()); // more are due
          }
        });
  }

  /** Sends one claimed occurrence and records what became of it. */
  private Future<Void> fire(ScheduledRow row) {
    var caller = new Caller(row.organizationId(), row.senderType(), row.createdBy());
    String key = "schedule:" + row.id() + ":" + row.occurrence();
    boolean fallbackChosen = Integer.valueOf(row.occurrence()).equals(row.fallbackOccurrence());
    Future<Completion> outcome = fallbackChosen
        ? sendFallback(row, caller, key)
        : sender.send(caller, row.conversationId(), row.message(), key)
            .map(sent -> sent(row, sent, false))
            .recover(failure -> isWindowClosed(failure) && row.fallbackTemplate() != null
                ? schedules.chooseFallback(pool, row.id(), row.claimId())
                    .compose(kept -> kept ? sendFallback(row, caller, key) : Future.failedFuture(lostClaim(row)))
                : refused(row, failure));
    return outcome
        .compose(done -> schedules.complete(pool, row.id(), row.claimId(), done).map(updated -> {
          if (updated.isEmpty()) {
            log.warn("scheduled message {} (organization {}): claim lost before its outcome was recorded; "
                + "the next claim replays it", row.id(), row.organizationId());
          }
          metrics.counter("parley.scheduled.fired", "outcome", done.messageId() == null ? "failed" : "sent").increment();
          return (Void) null;
        }))
        .onFailure(failure -> log.warn("scheduled message {} (organization {}, conversation {}) not sent yet, "
            + "retried after the lease: {}", row.id(), row.organizationId(), row.conversationId(), failure.toString()));
  }

  private Future<Completion> sendFallback(ScheduledRow row, Caller caller, String key) {
    JsonObject template = new JsonObject().put("type", "template").put("template", row.fallbackTemplate());
    return sender.send(caller, row.conversationId(), template, key + ":fallback")
        .map(sent -> sent(row, sent, true))
        .recover(failure -> refused(row, failure));
  }

  private static boolean isWindowClosed(Throwable failure) {
    return failure instanceof ApiException api && "window_closed".equals(api.code());
  }

  /** A rule's refusal fails the occurrence; anything else (store down, a bug) leaves it for the next claim. */
  private Future<Completion> refused(ScheduledRow row, Throwable failure) {
    if (failure instanceof ApiException api && api.status() < 500) {
      log.info("scheduled message {} (organization {}, conversation {}) occurrence {} refused: {}",
          row.id(), row.organizationId(), row.conversationId(), row.occurrence(), api.code());
      return Future.succeededFuture(next(row, "failed", null, false, api.code(), api.getMessage()));
    }
    return Future.failedFuture(failure);
  }

  private static Completion sent(ScheduledRow row, Outcome outcome, boolean fallback) {
    UUID messageId = UUID.fromString(outcome.message().getString("id"));
    return next(row, "sent", messageId, fallback, null, null);
  }

  /**
   * The completion of the claimed occurrence: a recurring row moves to its next occurrence (skipping those that fell
   * due while no node ran) unless that is past {@code ends_at} or beyond {@code max_occurrences}; otherwise the row
   * ends with {@code finalStatus}.
   */
  static Completion next(ScheduledRow row, String finalStatus, UUID messageId, boolean fallback, String errorCode,
      String error) {
    Recurrence recurrence = Recurrence.of(row.recurrence()).orElse(Recurrence.NONE);
    Instant notBefore = Instant.now().isAfter(row.sendAt()) ? Instant.now() : row.sendAt();
    Optional<Recurrence.Next> next = recurrence.next(row.firstSendAt(), ZoneId.of(row.timeZone()), row.occurrence(),
        notBefore);
    int done = row.occurrencesSent() + row.occurrencesFailed() + 1;
    boolean more = next.isPresent()
        && (row.endsAt() == null || !next.get().at().isAfter(row.endsAt()))
        && (row.maxOccurrences() == null || done < row.maxOccurrences());
    return more
        ? new Completion("scheduled", next.get().at(), next.get().number(), messageId, fallback, errorCode, error)
        : new Completion(finalStatus, null, null, messageId, fallback, errorCode, error);
  }

  private static IllegalStateException lostClaim(ScheduledRow row) {
    return new IllegalStateException("the claim on scheduled message " + row.id() + " was taken over");
  }
}

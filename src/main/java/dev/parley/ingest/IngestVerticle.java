package dev.parley.ingest;

import dev.parley.bus.Addresses;
import dev.parley.channel.Channel;
import dev.parley.channel.ChannelDirectory;
import dev.parley.conversation.ApplyResult;
import dev.parley.conversation.InboundBatch;
import dev.parley.provider.InboundEvent;
import dev.parley.provider.MalformedPayload;
import dev.parley.provider.Provider;
import dev.parley.provider.ProviderRegistry;
import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhook ingestion: finds the channel, answers the subscription handshake, verifies the signature on the raw
 * bytes before parsing, parses through the channel's {@link Provider}, routes each event to the organization's
 * channel for its provider account, and asks the conversation state to store the batch. It answers 200 only
 * after that transaction has committed. Consumes {@link Addresses#INGEST_WEBHOOK}.
 */
public final class IngestVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(IngestVerticle.class);

  private final ProviderRegistry providers;
  private final ChannelStore channels;
  private final Duration applyTimeout;
  private final BooleanSupplier redisAvailable;
  private ChannelDirectory directory;

  /**
   * @param redisAvailable false while Redis does not answer in time: webhooks are then refused with 503 before they
   *     are stored (the provider retries), since their events could be numbered for no client
   */
  public IngestVerticle(ProviderRegistry providers, ChannelStore channels, Duration applyTimeout,
      BooleanSupplier redisAvailable) {
    this.providers = providers;
    this.channels = channels;
    this.applyTimeout = applyTimeout;
    this.redisAvailable = redisAvailable;
  }

  @Override
  public Future<?> start() {
    directory = new ChannelDirectory(channels, Duration.ofSeconds(5));
    return vertx.eventBus().<WebhookRequest>consumer(Addresses.INGEST_WEBHOOK, this::onWebhook).completion();
  }

  private void onWebhook(Message<WebhookRequest> message) {
    handle(message.body()).onComplete(done -> message.reply(done.succeeded()
        ? done.result()
        : WebhookResponse.unavailable()));
  }

  Future<WebhookResponse> handle(WebhookRequest request) {
    Optional<Provider> provider = providers.find(request.provider());
    UUID channelId = uuidOrNull(request.channelId());
    if (provider.isEmpty() || channelId == null) {
      return Future.succeededFuture(unknownChannel());
    }
    return directory.byId(channelId).compose(found -> {
      if (found.isEmpty() || !found.get().provider().equals(provider.get().name()) || !found.get().active()) {
        return Future.succeededFuture(unknownChannel());
      }
      Channel channel = found.get();
      if (request.subscription()) {
        return Future.succeededFuture(provider.get().verifySubscription(request.query(), channel.secrets())
            .map(challenge -> WebhookResponse.ok("verified", challenge))
            .orElse(WebhookResponse.error(403, "verification_failed", "verification_failed",
                "hub.mode or hub.verify_token does not match this channel")));
      }
      return receive(provider.get(), channel, request);
    });
  }

  private Future<WebhookResponse> receive(Provider provider, Channel channel, WebhookRequest request) {
    if (!provider.verify(request.headers(), request.body(), channel.secrets())) {
      log.warn("webhook for channel {} has a missing or wrong signature", channel.id());
      return Future.succeededFuture(WebhookResponse.error(401, "invalid_signature", "invalid_signature",
          "the signature does not match the body and the channel's secret"));
    }
    List<InboundEvent> events;
    try {
      events = provider.parse(request.body());
    } catch (MalformedPayload e) {
      log.info("malformed webhook for channel {}: {}", channel.id(), e.getMessage());
      return Future.succeededFuture(WebhookResponse.error(400, "malformed", "malformed_payload", e.getMessage()));
    }
    if (!redisAvailable.getAsBoolean()) {
      return Future.succeededFuture(WebhookResponse.unavailable());
    }
    return route(provider, channel, events).compose(routed -> {
      int unrouted = events.size() - routed.size();
      if (routed.isEmpty()) {
        return Future.succeededFuture(WebhookResponse.ok(unrouted > 0 ? "skipped" : "accepted",
            summary(new ApplyResult(0, 0, 0, unrouted))));
      }
      return vertx.eventBus()
          .<ApplyResult>request(Addresses.CONVERSATION_APPLY_INBOUND, new InboundBatch(provider.name(), routed),
              new DeliveryOptions().setSendTimeout(applyTimeout.toMillis()))
          .map(reply -> {
            ApplyResult applied = reply.body();
            var result = new ApplyResult(applied.applied(), applied.duplicates(), applied.pending(),
                applied.skipped() + unrouted);
            String outcome = result.applied() + result.pending() == 0 && result.duplicates() > 0 ? "duplicate" : "stored";
            return WebhookResponse.ok(outcome, summary(result));
          });
    });
  }

  /**
   * Each event goes to the channel of this organization whose provider account its routing key names; an event
   * for an account the organization does not own is logged and skipped, never stored under the wrong channel.
   */
  private Future<List<InboundBatch.Routed>> route(Provider provider, Channel channel, List<InboundEvent> events) {
    List<InboundBatch.Routed> routed = new ArrayList<>(events.size());
    Future<Void> chain = Future.succeededFuture();
    for (InboundEvent event : events) {
      if (event.routingKey().equals(channel.externalId())) {
        routed.add(new InboundBatch.Routed(channel, event));
        continue;
      }
      chain = chain.compose(v -> directory.byExternalId(channel.organizationId(), provider.name(), event.routingKey())
          .map(other -> {
            if (other.isPresent() && other.get().active()) {
              routed.add(new InboundBatch.Routed(other.get(), event));
            } else {
              log.warn("skipping {} event for {} account {}: organization {} has no such channel",
                  provider.name(), provider.name(), event.routingKey(), channel.organizationId());
            }
            return null;
          }));
    }
    return chain.map(routed);
  }

  private static String summary(ApplyResult result) {
    return new JsonObject()
        .put("applied", result.applied())
        .put("duplicates", result.duplicates())
        .put("pending", result.pending())
        .put("skipped", result.skipped())
        .encode();
  }

  private static WebhookResponse unknownChannel() {
    return WebhookResponse.error(404, "unknown_channel", "unknown_channel", "no such channel for this provider");
  }

  private static UUID uuidOrNull(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

package dev.parley.ingest;

import dev.parley.channel.Channel;
import dev.parley.channel.ChannelDirectory;
import dev.parley.conversation.InboundBatch;
import dev.parley.provider.InboundEvent;
import dev.parley.provider.MalformedPayload;
import dev.parley.provider.Provider;
import dev.parley.provider.ProviderRegistry;
import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhook ingestion, on the HTTP edge's own event loop (one per HTTP verticle, no event-bus hop): finds the channel,
 * answers the subscription handshake, verifies the signature on the raw bytes before parsing, parses through the
 * channel's {@link Provider}, routes each event to the organization's channel for its provider account, and
 * appends the webhook to the {@link InboundLog}. It answers 200 only once the log row has committed; the
 * conversation state is projected from the log afterwards.
 */
public final class Ingest {
  private static final Logger log = LoggerFactory.getLogger(Ingest.class);

  private final ProviderRegistry providers;
  private final ChannelDirectory directory;
  private final EventRouter router;
  private final InboundLog inboundLog;
  private final BooleanSupplier redisAvailable;

  /**
   * @param redisAvailable false while Redis does not answer in time: webhooks are then refused with 503 before they
   *     are logged (the provider retries), since their events could be numbered for no client
   */
  public Ingest(ProviderRegistry providers, ChannelStore channels, InboundLog inboundLog,
      BooleanSupplier redisAvailable) {
    this.providers = providers;
    this.directory = new ChannelDirectory(channels, Duration.ofSeconds(5));
    this.router = new EventRouter(directory);
    this.inboundLog = inboundLog;
    this.redisAvailable = redisAvailable;
  }

  /** What to answer {@code request}; never fails (a store failure is a 503 answer). */
  public Future<WebhookResponse> handle(WebhookRequest request) {
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
    }).otherwise(failure -> {
      log.warn("webhook not taken: {}", failure.toString());
      return WebhookResponse.unavailable();
    });
  }

  private Future<WebhookResponse> receive(Provider provider, Channel channel, WebhookRequest request) {
    if (!provider.verify(request.headers(), request.body(), channel.secrets())) {
      log.warn("webhook for channel {} has a missing or wrong signature", channel.id());
      return Future.succeededFuture(WebhookResponse.error(401, "invalid_signature", "invalid_signature",
          "the signature does not match the body and the channel's secret"));
    }
    Instant receivedAt = Instant.now().truncatedTo(ChronoUnit.MICROS); // as the log stores it
    List<InboundEvent> events;
    try {
      events = provider.parse(request.body(), receivedAt);
    } catch (MalformedPayload e) {
      log.info("malformed webhook for channel {}: {}", channel.id(), e.getMessage());
      return Future.succeededFuture(WebhookResponse.error(400, "malformed", "malformed_payload", e.getMessage()));
    }
    if (!redisAvailable.getAsBoolean()) {
      return Future.succeededFuture(WebhookResponse.unavailable());
    }
    return router.route(provider.name(), channel, events).compose(routed -> {
      int skipped = events.size() - routed.size();
      if (routed.isEmpty()) {
        return Future.succeededFuture(WebhookResponse.ok(skipped > 0 ? "skipped" : "accepted",
            summary(0, skipped)));
      }
      return inboundLog.append(channel, receivedAt, request.body(), new InboundBatch(provider.name(), routed))
          .map(position -> WebhookResponse.ok("accepted", summary(routed.size(), skipped)));
    });
  }

  private static String summary(int accepted, int skipped) {
    return new JsonObject().put("accepted", accepted).put("skipped", skipped).encode();
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

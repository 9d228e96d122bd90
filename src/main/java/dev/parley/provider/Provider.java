package dev.parley.provider;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One messaging provider's webhook side. How to add a provider: implement this in a package under
 * {@code provider/}, register it in {@link ProviderRegistry}, add fixtures under
 * {@code src/test/resources/fixtures/<name>/} and a test extending {@code ProviderContractTest}.
 * Implementations are stateless and thread-safe; nothing here does I/O.
 */
public interface Provider {

  /** The name in webhook URLs ({@code /webhooks/{name}/{channel_id}}) and in {@code channels.provider}. */
  String name();

  /**
   * Answers the provider's subscription handshake ({@code GET} on the webhook URL).
   *
   * @return the body to answer 200 with, or empty when the request does not prove it knows the channel's secret
   */
  Optional<String> verifySubscription(MultiMap query, ChannelSecrets secrets);

  /** Checks the request's signature over the exact raw bytes, in constant time, before anything is parsed. */
  boolean verify(MultiMap headers, Buffer rawBody, ChannelSecrets secrets);

  /**
   * Parses a verified body into canonical events, in the order the provider listed them.
   *
   * @throws MalformedPayload when the body is not the provider's format
   */
  default List<InboundEvent> parse(Buffer rawBody) {
    return parse(rawBody, Instant.now());
  }

  /**
   * As {@link #parse(Buffer)}, for a body received at {@code receivedAt} (what an event without a time of its own is
   * dated): parsing a logged body again gives the same events.
   */
  List<InboundEvent> parse(Buffer rawBody, Instant receivedAt);

  /** The customer service window this provider imposes on free-form replies. */
  ServiceWindow window();

  /** Credentials a channel of this provider must have (checked when a channel is created or updated). */
  Set<String> requiredCredentials();

  /** Every credential a channel of this provider may hold; anything else is refused. */
  Set<String> knownCredentials();
}

package dev.parley.provider.whatsapp;

import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.HubSignature;
import dev.parley.provider.InboundEvent;
import dev.parley.provider.Provider;
import dev.parley.provider.ServiceWindow;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Set;
import java.util.Optional;

/**
 * WhatsApp Cloud API webhooks: Meta's {@code hub.*} subscription handshake, {@code X-Hub-Signature-256} over
 * the raw body with the app secret, and the {@code whatsapp_business_account} payload (see {@link
 * WhatsAppParser}).
 */
public final class WhatsAppProvider implements Provider {
  public static final String NAME = "whatsapp";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Optional<String> verifySubscription(MultiMap query, ChannelSecrets secrets) {
    String expected = secrets.get(ChannelSecrets.VERIFY_TOKEN);
    String token = query.get("hub.verify_token");
    String challenge = query.get("hub.challenge");
    if (!"subscribe".equals(query.get("hub.mode")) || expected == null || token == null || challenge == null) {
      return Optional.empty();
    }
    boolean same = MessageDigest.isEqual(
        expected.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
    return same ? Optional.of(challenge) : Optional.empty();
  }

  @Override
  public boolean verify(MultiMap headers, Buffer rawBody, ChannelSecrets secrets) {
    return HubSignature.matches(
        headers.get(HubSignature.HEADER), rawBody.getBytes(), secrets.get(ChannelSecrets.APP_SECRET));
  }

  @Override
  public List<InboundEvent> parse(Buffer rawBody, Instant receivedAt) {
    return new WhatsAppParser(receivedAt).parse(rawBody);
  }

  @Override
  public ServiceWindow window() {
    return ServiceWindow.CUSTOMER_SERVICE;
  }

  /** The app secret signs webhooks; the verify token answers Meta's subscription handshake. */
  @Override
  public Set<String> requiredCredentials() {
    return Set.of(ChannelSecrets.APP_SECRET, ChannelSecrets.VERIFY_TOKEN);
  }

  /**
   * Plus what calling the Graph API needs: the access token, the WhatsApp Business Account id (templates) and
   * optionally another API base URL.
   */
  @Override
  public Set<String> knownCredentials() {
    return Set.of(ChannelSecrets.APP_SECRET, ChannelSecrets.VERIFY_TOKEN, ChannelSecrets.ACCESS_TOKEN,
        ChannelSecrets.WABA_ID, ChannelSecrets.API_BASE_URL);
  }
}

package dev.parley.provider.whatsapp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.HubSignature;
import dev.parley.provider.Provider;
import dev.parley.provider.ProviderContractTest;
import dev.parley.provider.ServiceWindow;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WhatsAppProviderTest extends ProviderContractTest {
  private final WhatsAppProvider provider = new WhatsAppProvider();
  private final ChannelSecrets secrets = new ChannelSecrets(new JsonObject()
      .put(ChannelSecrets.APP_SECRET, "appsecret").put(ChannelSecrets.VERIFY_TOKEN, "meatyhamhock"));

  @Override
  protected Provider provider() {
    return provider;
  }

  @Override
  protected ChannelSecrets secrets() {
    return secrets;
  }

  @Override
  protected MultiMap signedHeaders(byte[] body) {
    return MultiMap.caseInsensitiveMultiMap().add("x-hub-signature-256", HubSignature.sign(body, "appsecret"));
  }

  @Test
  void signatureMatchesMetasTestVectors() {
    assertEquals("sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        HubSignature.sign("test".getBytes(StandardCharsets.UTF_8), "secret"));
    // Meta signs the escaped-unicode body: the escapes are literal backslash sequences in the bytes
    String escaped = "{\"object\":\"page\",\"entry\":[{\"id\":\"1\",\"messaging\":[{\"message\":{\"text\":\"\\u00e4\\u00f6\\u00e5\"}}]}]}";
    assertTrue(HubSignature.matches(
        "sha256=a0f61f69f436ae6bffe9847e84ecc1bd62dc2c10be6525632bdbaa26f61194f9",
        escaped.getBytes(StandardCharsets.UTF_8), "appsecret"));
  }

  @Test
  void subscriptionHandshakeFollowsMeta() {
    MultiMap ok = MultiMap.caseInsensitiveMultiMap()
        .add("hub.mode", "subscribe").add("hub.verify_token", "meatyhamhock").add("hub.challenge", "1158201444");
    assertEquals(Optional.of("1158201444"), provider.verifySubscription(ok, secrets));
    MultiMap wrongToken = MultiMap.caseInsensitiveMultiMap()
        .add("hub.mode", "subscribe").add("hub.verify_token", "meaty").add("hub.challenge", "1");
    assertEquals(Optional.empty(), provider.verifySubscription(wrongToken, secrets));
    MultiMap wrongMode = MultiMap.caseInsensitiveMultiMap()
        .add("hub.mode", "unsubscribe").add("hub.verify_token", "meatyhamhock").add("hub.challenge", "1");
    assertEquals(Optional.empty(), provider.verifySubscription(wrongMode, secrets));
  }

  @Test
  void whatsAppHasACustomerServiceWindow() {
    assertEquals(ServiceWindow.CUSTOMER_SERVICE, provider.window());
  }
}

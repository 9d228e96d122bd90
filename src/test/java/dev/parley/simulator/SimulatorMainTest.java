package dev.parley.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The standalone command's {@code --number} argument. */
class SimulatorMainTest {

  @Test
  void aNumberSpecKeepsTheColonsOfItsWebhookUrl() {
    SimulatedNumber number = SimulatorMain.number(
        "100000000000001:EAAtoken:app-secret:http://127.0.0.1:8080/webhooks/whatsapp/00000000-0000-4000-8000-00000000d001");
    assertEquals("100000000000001", number.phoneNumberId());
    assertEquals("EAAtoken", number.accessToken());
    assertEquals("app-secret", number.appSecret());
    assertEquals("http://127.0.0.1:8080/webhooks/whatsapp/00000000-0000-4000-8000-00000000d001", number.webhookUrl());
    assertEquals(SimulatedNumber.DEFAULT_THROUGHPUT, number.throughput());
  }

  @Test
  void anIncompleteSpecOrAWebhookThatIsNotAUrlIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> SimulatorMain.number("100000000000001:token:secret"));
    assertThrows(IllegalArgumentException.class, () -> SimulatorMain.number("100000000000001:token:secret:parley"));
  }
}

package dev.parley.simulator;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * A business phone number the simulator sends from, as Meta knows it: its ids, the bearer token the Graph API
 * expects for it, the app secret its webhooks are signed with and where they go.
 *
 * @param phoneNumberId the Graph id the Messages API is called on ({@code /{version}/{phone_number_id}/messages})
 * @param displayPhoneNumber the number as webhooks show it in {@code metadata.display_phone_number}
 * @param accessToken the bearer token every Graph call for this number must carry
 * @param appSecret signs the webhooks ({@code X-Hub-Signature-256})
 * @param webhookUrl where status and customer webhooks are posted (Parley's {@code /webhooks/whatsapp/{channel_id}})
 * @param wabaId the WhatsApp Business Account owning the number and its message templates ({@code entry[].id})
 * @param throughput messages per second the number may send before 130429 (Meta's default: 80)
 * @param enforceWindow whether a non-template message outside the 24-hour window fails with 131047
 */
public record SimulatedNumber(
    String phoneNumberId,
    String displayPhoneNumber,
    String accessToken,
    String appSecret,
    String webhookUrl,
    String wabaId,
    int throughput,
    boolean enforceWindow) {

  public static final int DEFAULT_THROUGHPUT = 80;

  public SimulatedNumber {
    Objects.requireNonNull(phoneNumberId, "phone_number_id");
    Objects.requireNonNull(accessToken, "access_token");
    Objects.requireNonNull(appSecret, "app_secret");
    Objects.requireNonNull(webhookUrl, "webhook_url");
    if (phoneNumberId.isBlank() || accessToken.isBlank() || appSecret.isBlank()) {
      throw new IllegalArgumentException("phone_number_id, access_token and app_secret must not be blank");
    }
    if (!webhookUrl.startsWith("http://") && !webhookUrl.startsWith("https://")) {
      throw new IllegalArgumentException("webhook_url must be an http(s) URL");
    }
    if (throughput < 1) {
      throw new IllegalArgumentException("throughput must be at least 1 message per second");
    }
    displayPhoneNumber = displayPhoneNumber == null ? phoneNumberId : displayPhoneNumber;
    wabaId = wabaId == null ? defaultWabaId(phoneNumberId) : wabaId;
  }

  /** A number with the default display number, WABA id, throughput (80/s) and the 24-hour window enforced. */
  public static SimulatedNumber of(String phoneNumberId, String accessToken, String appSecret, String webhookUrl) {
    return new SimulatedNumber(phoneNumberId, null, accessToken, appSecret, webhookUrl, null, DEFAULT_THROUGHPUT, true);
  }

  /** The WABA id a number gets when none is given: a stable numeric id derived from the phone number id. */
  public static String defaultWabaId(String phoneNumberId) {
    return Long.toString(200_000_000_000_000L + Math.floorMod(phoneNumberId.hashCode(), 100_000_000_000_000L));
  }

  public SimulatedNumber withThroughput(int messagesPerSecond) {
    return new SimulatedNumber(phoneNumberId, displayPhoneNumber, accessToken, appSecret, webhookUrl, wabaId,
        messagesPerSecond, enforceWindow);
  }

  public SimulatedNumber withEnforceWindow(boolean enforce) {
    return new SimulatedNumber(phoneNumberId, displayPhoneNumber, accessToken, appSecret, webhookUrl, wabaId,
        throughput, enforce);
  }

  public SimulatedNumber withWabaId(String id) {
    return new SimulatedNumber(phoneNumberId, displayPhoneNumber, accessToken, appSecret, webhookUrl, id, throughput,
        enforceWindow);
  }

  public SimulatedNumber withDisplayPhoneNumber(String display) {
    return new SimulatedNumber(phoneNumberId, display, accessToken, appSecret, webhookUrl, wabaId, throughput,
        enforceWindow);
  }

  /** The control API's shape; the app secret and token are included (the control API is loopback-only). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("phone_number_id", phoneNumberId)
        .put("display_phone_number", displayPhoneNumber)
        .put("access_token", accessToken)
        .put("app_secret", appSecret)
        .put("webhook_url", webhookUrl)
        .put("waba_id", wabaId)
        .put("throughput", throughput)
        .put("enforce_window", enforceWindow);
  }

  /** Reads the control API's shape; {@code throughput} and {@code enforce_window} are optional. */
  public static SimulatedNumber fromJson(JsonObject json) {
    return new SimulatedNumber(json.getString("phone_number_id"), json.getString("display_phone_number"),
        json.getString("access_token"), json.getString("app_secret"), json.getString("webhook_url"),
        json.getString("waba_id"), json.getInteger("throughput", DEFAULT_THROUGHPUT),
        json.getBoolean("enforce_window", true));
  }

  @Override
  public String toString() {
    return "SimulatedNumber[" + phoneNumberId + " -> " + webhookUrl + "]";
  }
}

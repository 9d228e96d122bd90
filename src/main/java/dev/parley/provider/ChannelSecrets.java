package dev.parley.provider;

import io.vertx.core.json.JsonObject;

/**
 * A channel's credentials as stored in {@code channels.credentials}: read by providers to verify webhooks
 * and to call the provider. Never serialised into an API response or a log line.
 */
public record ChannelSecrets(JsonObject credentials) {
  public static final String APP_SECRET = "app_secret";
  public static final String VERIFY_TOKEN = "verify_token";
  public static final String ACCESS_TOKEN = "access_token";
  /** The provider API's base URL for this channel, when it is not the configured default (the demo's simulator). */
  public static final String API_BASE_URL = "api_base_url";
  /** The WhatsApp Business Account id, which owns the message templates. */
  public static final String WABA_ID = "waba_id";

  /** The named credential, or null when the channel has none. */
  public String get(String name) {
    return credentials.getString(name);
  }

  @Override
  public String toString() {
    return "ChannelSecrets[" + credentials.fieldNames() + "]";
  }
}

package dev.parley.simulator;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * A message the simulated Messages API accepted (answered 200), whatever happened to it afterwards.
 *
 * @param wamid the id it answered ({@code wamid.…})
 * @param to the recipient exactly as the request gave it
 * @param waId the recipient's wa_id ({@code to} without {@code +} and separators)
 * @param type the message type ({@code text}, {@code template}, …)
 * @param bizOpaqueCallbackData the request's {@code biz_opaque_callback_data}, or null
 * @param acceptedAt when it was accepted
 * @param body the complete request body
 */
public record AcceptedMessage(String wamid, String to, String waId, String type, String bizOpaqueCallbackData,
    Instant acceptedAt, JsonObject body) {

  public JsonObject toJson() {
    return new JsonObject()
        .put("wamid", wamid)
        .put("to", to)
        .put("wa_id", waId)
        .put("type", type)
        .put("biz_opaque_callback_data", bizOpaqueCallbackData)
        .put("accepted_at", acceptedAt.toString())
        .put("body", body);
  }
}

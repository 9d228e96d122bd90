package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What one simulated number saw since it was registered or the simulator was reset.
 *
 * @param accepted sends answered 200 (including those that later fail asynchronously)
 * @param rateLimited sends refused with 130429 (the number's throughput)
 * @param pairRateLimited sends refused with 131056 (too many to one recipient)
 * @param maxPerSecond the most sends accepted within any sliding one-second window
 * @param messages the accepted messages in acceptance order (the first {@code max_recorded_messages})
 * @param markedRead message ids marked read through the Messages API
 * @param webhooksDelivered webhook POSTs for this number answered 2xx
 * @param statusesDelivered statuses carried by those POSTs
 * @param webhookFailures webhook attempts that failed (non-2xx, refused, timed out) and were retried
 * @param webhooksDropped webhooks given up after the retry deadline
 */
public record NumberStats(
    String phoneNumberId,
    long accepted,
    long rateLimited,
    long pairRateLimited,
    int maxPerSecond,
    List<AcceptedMessage> messages,
    List<String> markedRead,
    long webhooksDelivered,
    long statusesDelivered,
    long webhookFailures,
    long webhooksDropped) {

  /** The control API's shape; {@code withMessages} false leaves out the message list. */
  public JsonObject toJson(boolean withMessages) {
    var json = new JsonObject()
        .put("phone_number_id", phoneNumberId)
        .put("accepted", accepted)
        .put("rate_limited", rateLimited)
        .put("pair_rate_limited", pairRateLimited)
        .put("max_per_second", maxPerSecond)
        .put("marked_read", markedRead.size())
        .put("webhooks_delivered", webhooksDelivered)
        .put("statuses_delivered", statusesDelivered)
        .put("webhook_failures", webhookFailures)
        .put("webhooks_dropped", webhooksDropped);
    if (withMessages) {
      json.put("messages", new JsonArray(messages.stream().map(AcceptedMessage::toJson).toList()));
    }
    return json;
  }
}

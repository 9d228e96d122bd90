package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Decides which statuses follow an accepted message and when: {@code sent}, {@code delivered}, then {@code read}
 * if the customer reads; only {@code sent} for a reaction; only {@code failed} for a message that cannot be
 * delivered. Adds the configured disorder: {@code sent} and {@code delivered} in one POST, {@code read} posted
 * before {@code delivered}, a status posted twice.
 */
final class StatusScheduler {
  private final WebhookSender sender;
  private final Supplier<SimulatorOptions> options;
  private final Random random;

  StatusScheduler(WebhookSender sender, Supplier<SimulatorOptions> options, Random random) {
    this.sender = sender;
    this.options = options;
    this.random = random;
  }

  /**
   * A deliverable message: {@code sent} (with the conversation object), {@code delivered}, maybe {@code read}.
   *
   * @param category the template's category in lower case, or null for a service (free-form) message
   */
  void deliver(NumberState state, AcceptedMessage message, String category) {
    SimulatorOptions current = options.get();
    long accepted = message.acceptedAt().toEpochMilli();
    long sentAt = accepted + current.sentDelay().toMillis();
    long deliveredAt = accepted + current.deliveredDelay().toMillis();
    long readAt = accepted + current.readDelay().toMillis();
    boolean reads = random.nextDouble() < current.readProbability();
    if (random.nextDouble() < current.batchProbability()) {
      deliveredAt = sentAt; // delivered at once: both statuses leave in the same POST
    }
    long postDelivered = deliveredAt;
    long postRead = readAt;
    if (reads && random.nextDouble() < current.shuffleProbability()) {
      postDelivered = readAt; // read overtakes delivered, as Meta allows
      postRead = deliveredAt;
    }
    String origin = category == null ? "service" : category;
    JsonObject pricing = new JsonObject()
        .put("billable", category != null)
        .put("pricing_model", "PMP")
        .put("type", category == null ? "free_customer_service" : "regular")
        .put("category", origin);
    JsonObject sent = status(message, "sent", sentAt)
        .put("conversation", state.conversation(message.waId(), origin, sentAt / 1000))
        .put("pricing", pricing);
    schedule(state, sent, sentAt, current);
    schedule(state, status(message, "delivered", deliveredAt).put("pricing", pricing.copy()), postDelivered, current);
    if (reads) {
      schedule(state, status(message, "read", readAt).put("pricing", pricing.copy()), postRead, current);
    }
  }

  /** A reaction: Meta sends only {@code sent}. */
  void reaction(NumberState state, AcceptedMessage message) {
    SimulatorOptions current = options.get();
    long sentAt = message.acceptedAt().toEpochMilli() + current.sentDelay().toMillis();
    schedule(state, status(message, "sent", sentAt), sentAt, current);
  }

  /** A message accepted but not deliverable (131047, 131026, …): one {@code failed} status. */
  void fail(NumberState state, AcceptedMessage message, GraphError error) {
    SimulatorOptions current = options.get();
    long failedAt = message.acceptedAt().toEpochMilli() + current.sentDelay().toMillis();
    schedule(state, status(message, "failed", failedAt).put("errors", new JsonArray().add(error.statusError())),
        failedAt, current);
  }

  /** The origin / pricing category of a template ({@code utility}, {@code marketing}, {@code authentication}). */
  static String category(JsonObject template) {
    return template == null ? null : template.getString("category", "utility").toLowerCase(Locale.ROOT);
  }

  private void schedule(NumberState state, JsonObject status, long dueMillis, SimulatorOptions current) {
    sender.schedule(state.number, status, dueMillis);
    if (random.nextDouble() < current.duplicateProbability()) {
      sender.schedule(state.number, status.copy(), dueMillis + 200 + random.nextInt(1800));
    }
  }

  private static JsonObject status(AcceptedMessage message, String status, long atMillis) {
    var json = new JsonObject()
        .put("id", message.wamid())
        .put("status", status)
        .put("timestamp", Long.toString(atMillis / 1000))
        .put("recipient_id", message.waId());
    if (message.bizOpaqueCallbackData() != null) {
      json.put("biz_opaque_callback_data", message.bizOpaqueCallbackData());
    }
    return json;
  }
}

package dev.parley.dispatch;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * Checks every sending rule, stores the message {@code pending} with its queue entry in one transaction, and
 * hands it to the dispatcher. Used by the REST route, the {@code dispatch.send} bus command, scheduled messages
 * and the compatibility route. TODO: implementation in progress on main.
 */
public final class Sender {

  /**
   * Who sends. {@code senderType} is {@code agent} (a person: only the conversation's assignee may send, never
   * while a bot runs), {@code automation} or {@code bot} (services, API keys: exempt from the owner and bot
   * rules). {@code userId} is the agent's id (null for services).
   */
  public record Caller(UUID organizationId, String senderType, UUID userId) {
    public boolean manual() {
      return "agent".equals(senderType);
    }
  }

  /** The stored message as clients render it; {@code replayed} when an earlier call with the same key made it. */
  public record Outcome(JsonObject message, boolean replayed) {}

  /**
   * Sends {@code request} (the API's message object: {@code {"type":"text","text":{"body":…}}}, …, optional
   * {@code reply_to}) into a conversation. Fails with {@code ApiException} carrying a stable code when a rule
   * refuses it; nothing is stored then.
   */
  public Future<Outcome> send(Caller caller, UUID conversationId, JsonObject request, String idempotencyKey) {
    throw new UnsupportedOperationException("in progress");
  }
}

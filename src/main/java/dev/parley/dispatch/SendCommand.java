package dev.parley.dispatch;

import dev.parley.http.ApiException;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.UUID;

/**
 * The {@code dispatch.send} bus command: internal services send a message as an automation or a bot, with the
 * same rules as the REST route. The body and the reply are JSON so the command can cross nodes and the bridge;
 * a refusal fails the reply with the HTTP status as code and the API's error object as message.
 */
final class SendCommand {
  private static final Set<String> SENDERS = Set.of("automation", "bot");

  private SendCommand() {}

  static void handle(Sender sender, Message<JsonObject> message) {
    JsonObject body = message.body();
    UUID organization;
    UUID conversation;
    try {
      organization = UUID.fromString(String.valueOf(body.getValue("organization_id")));
      conversation = UUID.fromString(String.valueOf(body.getValue("conversation_id")));
    } catch (IllegalArgumentException e) {
      refuse(message, ApiException.invalid("organization_id and conversation_id must be ids"));
      return;
    }
    String senderType = body.getString("sender_type", "automation");
    if (!SENDERS.contains(senderType)) {
      refuse(message, ApiException.invalid("sender_type must be automation or bot"));
      return;
    }
    Object request = body.getValue("message");
    sender.send(new Sender.Caller(organization, senderType, null), conversation,
            request instanceof JsonObject object ? object : null, body.getString("idempotency_key"))
        .onSuccess(outcome -> message.reply(outcome.message()))
        .onFailure(failure -> refuse(message, failure instanceof ApiException api
            ? api
            : new ApiException(503, "unavailable", "the message could not be stored; try again")));
  }

  private static void refuse(Message<JsonObject> message, ApiException error) {
    message.fail(error.status(), new JsonObject()
        .put("error", new JsonObject().put("code", error.code()).put("message", error.getMessage())).encode());
  }
}

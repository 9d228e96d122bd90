package dev.parley.provider;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What a provider's webhook means, independent of its wire format. {@link Provider#parse} turns one webhook
 * body into a list of these; the conversation state applies them. {@link #routingKey()} names the provider
 * account the event was addressed to (WhatsApp's {@code phone_number_id}), which picks the channel.
 * {@link #toJson()} is the canonical form the fixture tests compare against.
 */
public sealed interface InboundEvent {

  String routingKey();

  JsonObject toJson();

  /**
   * Who wrote: the customer's address on the channel.
   *
   * @param externalId the stable key of the identity: the phone-based id when known, otherwise the user id
   * @param phone the customer's phone number as the provider wrote it (digits), or null
   * @param userId a provider-scoped user id (WhatsApp business-scoped user id), or null
   */
  record Sender(String externalId, String phone, String userId, String profileName, String username) {
    JsonObject toJson() {
      return new JsonObject()
          .put("external_id", externalId)
          .put("phone", phone)
          .put("user_id", userId)
          .put("profile_name", profileName)
          .put("username", username);
    }
  }

  /**
   * A customer message.
   *
   * @param type the canonical message type (text, image, voice, interactive, unsupported, ...)
   * @param body text, caption or readable summary; null when the type has none
   * @param content the type's details in snake_case (media id, location, button reply, errors...)
   * @param raw the provider's message object, kept verbatim
   */
  record Message(
      String routingKey,
      String providerMessageId,
      Instant timestamp,
      Sender sender,
      String type,
      String body,
      JsonObject content,
      String replyToProviderId,
      JsonObject raw)
      implements InboundEvent {
    @Override
    public JsonObject toJson() {
      return new JsonObject()
          .put("kind", "message")
          .put("routing_key", routingKey)
          .put("provider_message_id", providerMessageId)
          .put("timestamp", timestamp.toString())
          .put("sender", sender.toJson())
          .put("type", type)
          .put("body", body)
          .put("content", content)
          .put("reply_to", replyToProviderId);
    }
  }

  /**
   * A delivery status of a message the business sent.
   *
   * @param status sent, delivered, read, played or failed
   * @param errorCode the provider's error code for failed, else null
   */
  record Status(
      String routingKey,
      String providerMessageId,
      String status,
      Instant timestamp,
      String recipientId,
      Integer errorCode,
      String errorTitle,
      JsonObject raw)
      implements InboundEvent {
    @Override
    public JsonObject toJson() {
      return new JsonObject()
          .put("kind", "status")
          .put("routing_key", routingKey)
          .put("provider_message_id", providerMessageId)
          .put("status", status)
          .put("timestamp", timestamp.toString())
          .put("recipient_id", recipientId)
          .put("error_code", errorCode)
          .put("error_title", errorTitle);
    }
  }

  /** The customer reacted to a message; {@code emoji} null means the reaction was removed. */
  record Reaction(
      String routingKey, String providerMessageId, String targetProviderId, String emoji, Instant timestamp, Sender sender)
      implements InboundEvent {
    @Override
    public JsonObject toJson() {
      return new JsonObject()
          .put("kind", "reaction")
          .put("routing_key", routingKey)
          .put("provider_message_id", providerMessageId)
          .put("target", targetProviderId)
          .put("emoji", emoji)
          .put("timestamp", timestamp.toString())
          .put("sender", sender.toJson());
    }
  }

  /** The customer edited an earlier message; the new type, body and content replace the old ones. */
  record Edit(
      String routingKey,
      String providerMessageId,
      String originalProviderId,
      Instant timestamp,
      Sender sender,
      String type,
      String body,
      JsonObject content,
      JsonObject raw)
      implements InboundEvent {
    @Override
    public JsonObject toJson() {
      return new JsonObject()
          .put("kind", "edit")
          .put("routing_key", routingKey)
          .put("provider_message_id", providerMessageId)
          .put("original", originalProviderId)
          .put("timestamp", timestamp.toString())
          .put("sender", sender.toJson())
          .put("type", type)
          .put("body", body)
          .put("content", content);
    }
  }

  /**
   * The customer's identity changed (WhatsApp {@code system} message): a new phone number, a new user id, or a
   * changed security identity.
   *
   * @param change {@code number_changed}, {@code user_id_changed} or {@code identity_changed}
   * @param previousExternalId the identity's key before the change, when the provider says it
   * @param newPhone the new phone number (digits) for {@code number_changed}
   * @param newUserId the new user id for {@code user_id_changed}
   * @param body the provider's human-readable description
   */
  record IdentityChange(
      String routingKey,
      String providerMessageId,
      Instant timestamp,
      String change,
      String previousExternalId,
      String newPhone,
      String newUserId,
      String body,
      JsonObject raw)
      implements InboundEvent {
    @Override
    public JsonObject toJson() {
      return new JsonObject()
          .put("kind", "identity_change")
          .put("routing_key", routingKey)
          .put("provider_message_id", providerMessageId)
          .put("timestamp", timestamp.toString())
          .put("change", change)
          .put("previous_external_id", previousExternalId)
          .put("new_phone", newPhone)
          .put("new_user_id", newUserId)
          .put("body", body);
    }
  }

  /** An error the provider reports about the account or a delivery, not tied to a stored message. */
  record ProviderError(String routingKey, int code, String title, String details, JsonObject raw)
      implements InboundEvent {
    @Override
    public JsonObject toJson() {
      return new JsonObject()
          .put("kind", "error")
          .put("routing_key", routingKey)
          .put("code", code)
          .put("title", title)
          .put("details", details);
    }
  }
}

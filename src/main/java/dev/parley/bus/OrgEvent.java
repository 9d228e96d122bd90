package dev.parley.bus;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * One change that clients may see, published on {@link Addresses#EVENTS} only after its transaction commits.
 *
 * @param type {@code message.created}, {@code conversation.updated}, ... (the WebSocket event name)
 * @param organizationId the tenant; an event is never shown outside it
 * @param data the full, self-contained snake_case payload (a client renders it without another request);
 *     treat as immutable once published
 */
public record OrgEvent(String type, UUID organizationId, JsonObject data) {
  public static final String CONVERSATION_CREATED = "conversation.created";
  public static final String CONVERSATION_UPDATED = "conversation.updated";
  public static final String MESSAGE_CREATED = "message.created";
  public static final String MESSAGE_UPDATED = "message.updated";
  public static final String CONTACT_CREATED = "contact.created";
  public static final String CONTACT_UPDATED = "contact.updated";
  public static final String CONTACT_MERGED = "contact.merged";
  public static final String WINDOW_CLOSING = "window.closing";
  public static final String WINDOW_CLOSED = "window.closed";
  /** Not numbered and not published here: a targeted push frame (see {@code push.PushMessage}). */
  public static final String NOTIFICATION = "notification";
  public static final String TYPING = "typing";
}

package dev.parley.provider.whatsapp;

import dev.parley.provider.InboundEvent;
import dev.parley.provider.MalformedPayload;
import dev.parley.store.StorableText;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parses the {@code whatsapp_business_account} webhook envelope: every {@code entry[]} × {@code changes[]},
 * and in each {@code value} every {@code messages[]}, {@code statuses[]} and {@code errors[]}. Changes of other
 * fields ({@code account_update}, template status...) are accepted and skipped. A value that breaks the format
 * (wrong types, missing ids, bad timestamps) throws {@link MalformedPayload}. One instance per body.
 */
final class WhatsAppParser {
  private static final Logger log = LoggerFactory.getLogger(WhatsAppParser.class);
  private static final Set<String> STATUSES = Set.of("sent", "delivered", "read", "played", "failed");
  /** Ids and addresses are short; anything longer is not WhatsApp's and would not fit an index entry. */
  private static final int MAX_ID_LENGTH = 256;
  /** Year 9999: later (or negative) times are not real provider timestamps. */
  private static final long MAX_EPOCH_SECONDS = 253_402_300_799L;

  private final List<InboundEvent> events = new ArrayList<>();
  private final Instant receivedAt;

  /** {@code receivedAt}: when the webhook arrived, the time of events that carry none. */
  WhatsAppParser(Instant receivedAt) {
    this.receivedAt = receivedAt;
  }

  List<InboundEvent> parse(Buffer raw) {
    JsonObject root;
    try {
      root = new JsonObject(raw);
    } catch (DecodeException | ClassCastException e) {
      throw new MalformedPayload("body is not a JSON object");
    }
    // PostgreSQL text and jsonb cannot hold U+0000 or a lone surrogate; WhatsApp never sends either
    StorableText.Unstorable unstorable = StorableText.find(root, "");
    if (unstorable != null) {
      throw new MalformedPayload(unstorable.message());
    }
    try {
      if (!"whatsapp_business_account".equals(root.getValue("object"))) {
        throw new MalformedPayload("object must be whatsapp_business_account");
      }
      for (JsonObject entry : objects(root, "entry", true)) {
        for (JsonObject change : objects(entry, "changes", true)) {
          String field = change.getString("field");
          if (!"messages".equals(field)) {
            log.debug("skipping WhatsApp change of field {}", field);
            continue;
          }
          value(object(change, "value"));
        }
      }
    } catch (ClassCastException | DateTimeException | IllegalArgumentException e) {
      throw new MalformedPayload("unexpected WhatsApp payload: " + e.getMessage(), e);
    }
    return events;
  }

  private void value(JsonObject value) {
    String routingKey = id(object(value, "metadata"), "phone_number_id");
    if (routingKey == null) {
      throw new MalformedPayload("metadata.phone_number_id is missing");
    }
    List<JsonObject> contacts = objects(value, "contacts", false);
    List<JsonObject> messages = objects(value, "messages", false);
    List<JsonObject> errors = objects(value, "errors", false);
    var builder = new WhatsAppMessages(routingKey, receivedAt);
    for (int i = 0; i < messages.size(); i++) {
      JsonObject message = messages.get(i);
      JsonObject profile = contactFor(message, contacts, i, messages.size());
      // a message without its typed body (value-level errors) is kept as unsupported, with the errors
      events.add(builder.message(message, profile, errorsOrNull(value)));
    }
    for (JsonObject status : objects(value, "statuses", false)) {
      status(routingKey, status);
    }
    if (messages.isEmpty()) {
      for (JsonObject error : errors) {
        events.add(providerError(routingKey, error));
      }
    }
  }

  private void status(String routingKey, JsonObject status) {
    String id = requiredId(status, "id");
    String state = required(status, "status");
    Instant timestamp = timestamp(status, receivedAt);
    if (!STATUSES.contains(state)) {
      log.info("skipping WhatsApp status '{}' for {}", state, id);
      return;
    }
    Integer code = null;
    String title = null;
    List<JsonObject> errors = objects(status, "errors", false);
    if (!errors.isEmpty()) {
      code = integer(errors.get(0), "code");
      title = errors.get(0).getString("title", errors.get(0).getString("message"));
    }
    events.add(new InboundEvent.Status(
        routingKey, id, state, timestamp, id(status, "recipient_id"), code, title, status));
  }

  private static InboundEvent.ProviderError providerError(String routingKey, JsonObject error) {
    Integer code = integer(error, "code");
    JsonObject data = error.getJsonObject("error_data");
    return new InboundEvent.ProviderError(
        routingKey,
        code == null ? 0 : code,
        error.getString("title", error.getString("message")),
        data == null ? null : data.getString("details"),
        error);
  }

  private static JsonArray errorsOrNull(JsonObject value) {
    JsonArray errors = value.getJsonArray("errors");
    return errors == null || errors.isEmpty() ? null : errors;
  }

  /** {@code contacts[i]} describes the sender of {@code messages[i]}; match by id first, then by position. */
  private static JsonObject contactFor(JsonObject message, List<JsonObject> contacts, int index, int count) {
    String from = text(message, "from");
    String userId = text(message, "from_user_id");
    for (JsonObject contact : contacts) {
      if ((from != null && from.equals(text(contact, "wa_id")))
          || (userId != null && userId.equals(text(contact, "user_id")))) {
        return contact;
      }
    }
    return contacts.size() == count && index < contacts.size() ? contacts.get(index) : null;
  }

  // -- typed access that reports malformed input instead of failing later -----------------------------------

  static JsonObject object(JsonObject parent, String key) {
    Object value = parent.getValue(key);
    if (value instanceof JsonObject object) {
      return object;
    }
    throw new MalformedPayload(key + " must be an object");
  }

  static List<JsonObject> objects(JsonObject parent, String key, boolean required) {
    Object value = parent.getValue(key);
    if (value == null && !required) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw new MalformedPayload(key + " must be an array");
    }
    List<JsonObject> items = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof JsonObject object)) {
        throw new MalformedPayload(key + "[] must hold objects");
      }
      items.add(object);
    }
    return items;
  }

  /** A string field that WhatsApp sometimes sends as a number; null when absent. */
  static String text(JsonObject parent, String key) {
    Object value = parent.getValue(key);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    if (value instanceof Number) {
      return value.toString();
    }
    throw new MalformedPayload(key + " must be a string");
  }

  static String required(JsonObject parent, String key) {
    String value = text(parent, key);
    if (value == null || value.isEmpty()) {
      throw new MalformedPayload(key + " is missing");
    }
    return value;
  }

  /** A string field holding an id or address (bounded length); null when absent. */
  static String id(JsonObject parent, String key) {
    String value = text(parent, key);
    if (value != null && value.length() > MAX_ID_LENGTH) {
      throw new MalformedPayload(key + " is longer than " + MAX_ID_LENGTH + " characters");
    }
    return value;
  }

  static String requiredId(JsonObject parent, String key) {
    String value = required(parent, key);
    if (value.length() > MAX_ID_LENGTH) {
      throw new MalformedPayload(key + " is longer than " + MAX_ID_LENGTH + " characters");
    }
    return value;
  }

  /** Display names are kept, but cut to a length an index entry can hold. */
  static String name(String value) {
    return value == null || value.length() <= MAX_ID_LENGTH ? value : value.substring(0, MAX_ID_LENGTH);
  }



  static Integer integer(JsonObject parent, String key) {
    Object value = parent.getValue(key);
    if (value == null) {
      return null;
    }
    if (value instanceof Number number) {
      return number.intValue();
    }
    return Integer.valueOf(value.toString().trim());
  }

  /**
   * WhatsApp timestamps are Unix seconds, as a string, and always present: the Cloud API documents no message or
   * status without one. A missing, empty or zero one (never sent by WhatsApp, but seen from relays and test tools)
   * is not a reason to refuse and lose the event, nor a time to show as 1970: it becomes {@code receivedAt}, when
   * Parley received the webhook. Anything else that is not a time in range is malformed.
   */
  static Instant timestamp(JsonObject parent, Instant receivedAt) {
    Object value = parent.getValue("timestamp");
    String text = value == null ? "" : value.toString().trim();
    if (text.isEmpty() || text.equals("0")) {
      return receivedAt;
    }
    long seconds = Long.parseLong(text);
    if (seconds < 0 || seconds > MAX_EPOCH_SECONDS) {
      throw new MalformedPayload("timestamp " + seconds + " is out of range");
    }
    return Instant.ofEpochSecond(seconds);
  }
}

package dev.parley.schedule;

import dev.parley.dispatch.OutboundDraft;
import dev.parley.http.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;

/**
 * A {@code POST /conversations/{id}/scheduled_messages} body, checked: the message object as a send checks it now
 * (every rule about the conversation is checked again by the Sender when it goes out), the time in the future,
 * the recurrence and the time zone. Times without an offset ({@code 2025-03-01T09:00}) are read in the time zone.
 *
 * @param fallbackTemplate a template object ({@code name}, {@code language.code}, {@code components}) sent
 *     instead when the service window is closed at send time; null for none
 * @param endsAt no occurrence after this; null for no end
 * @param maxOccurrences at most this many occurrences; null for no limit
 */
public record ScheduleRequest(JsonObject message, JsonObject fallbackTemplate, Instant sendAt, Recurrence recurrence,
    ZoneId timeZone, Instant endsAt, Integer maxOccurrences) {
  public static final int MAX_OCCURRENCES = 10_000;

  /** Parses and checks {@code body}; throws {@link ApiException} (400, or 422 for a time not in the future). */
  public static ScheduleRequest parse(JsonObject body, Instant now) {
    JsonObject message = message(body.getValue("message"));
    JsonObject fallback = null;
    if (body.getValue("fallback_template") != null) {
      if (!(body.getValue("fallback_template") instanceof JsonObject template)) {
        throw invalidMessage("fallback_template must be a template object (name, language.code, components)");
      }
      template(template, "fallback_template");
      fallback = template.copy();
    }
    ZoneId zone = zone(body.getValue("time_zone"));
    Recurrence recurrence = Recurrence.NONE;
    Object recurrenceValue = body.getValue("recurrence");
    if (recurrenceValue != null) {
      recurrence = Recurrence.of(recurrenceValue instanceof String text ? text : "")
          .orElseThrow(() -> ApiException.invalid("recurrence must be none, daily or weekly"));
    }
    Instant sendAt = time(body.getValue("send_at"), "send_at", zone);
    if (sendAt == null) {
      throw ApiException.invalid("send_at is required (ISO-8601, e.g. 2025-03-01T09:00:00Z)");
    }
    if (!sendAt.isAfter(now)) {
      throw new ApiException(422, "send_at_in_past", "send_at must be in the future");
    }
    Instant endsAt = time(body.getValue("ends_at"), "ends_at", zone);
    Integer maxOccurrences = null;
    Object max = body.getValue("max_occurrences");
    if (max != null) {
      if (!(max instanceof Integer || max instanceof Long) || ((Number) max).longValue() < 1
          || ((Number) max).longValue() > MAX_OCCURRENCES) {
        throw ApiException.invalid("max_occurrences must be a whole number from 1 to " + MAX_OCCURRENCES);
      }
      maxOccurrences = ((Number) max).intValue();
    }
    if (recurrence == Recurrence.NONE && (endsAt != null || maxOccurrences != null)) {
      throw ApiException.invalid("ends_at and max_occurrences apply to recurring messages (recurrence daily or weekly)");
    }
    if (endsAt != null && endsAt.isBefore(sendAt)) {
      throw ApiException.invalid("ends_at must not be before send_at");
    }
    return new ScheduleRequest(message, fallback, sendAt, recurrence, zone, endsAt, maxOccurrences);
  }

  /**
   * The message object, checked by the same rules a send applies now ({@link OutboundDraft#parse}: type, the type's
   * object, lengths and limits, with the same codes); reactions are not scheduled.
   */
  static JsonObject message(Object value) {
    if (!(value instanceof JsonObject message)) {
      throw invalidMessage("message is required: the API's message object, e.g. {\"type\":\"text\",\"text\":{\"body\":\"…\"}}");
    }
    OutboundDraft draft = OutboundDraft.parse(message);
    if ("reaction".equals(draft.type())) {
      throw new ApiException(422, "message_type_unsupported", "reactions are sent at once, not scheduled");
    }
    if ("template".equals(draft.type())) {
      template(message.getJsonObject("template"), "message.template");
    }
    return message.copy();
  }

  private static void template(JsonObject template, String field) {
    if (!(template.getValue("name") instanceof String name) || name.isBlank()) {
      throw invalidMessage(field + ".name is required");
    }
    if (!(template.getValue("language") instanceof JsonObject language)
        || !(language.getValue("code") instanceof String code) || code.isBlank()) {
      throw invalidMessage(field + ".language.code is required");
    }
    Object components = template.getValue("components");
    if (components != null && !(components instanceof JsonArray)) {
      throw invalidMessage(field + ".components must be an array");
    }
  }

  private static ZoneId zone(Object value) {
    if (value == null) {
      return ZoneId.of("UTC");
    }
    try {
      return ZoneId.of((String) value);
    } catch (ClassCastException | DateTimeException e) {
      throw new ApiException(400, "invalid_time_zone", "time_zone must be an IANA time zone such as Europe/Berlin");
    }
  }

  private static Instant time(Object value, String field, ZoneId zone) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw ApiException.invalid(field + " must be an ISO-8601 date and time");
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException withoutOffset) {
      try {
        return LocalDateTime.parse(text).atZone(zone).toInstant();
      } catch (DateTimeParseException e) {
        throw ApiException.invalid(field + " must be an ISO-8601 date and time, e.g. 2025-03-01T09:00:00+01:00");
      }
    }
  }

  private static ApiException invalidMessage(String message) {
    return new ApiException(400, "invalid_message", message);
  }
}

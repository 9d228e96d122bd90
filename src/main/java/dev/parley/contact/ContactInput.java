package dev.parley.contact;

import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.store.ContactRow;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A validated contact body of {@code POST /contacts} or {@code PATCH /contacts/{id}}: every field checked, the
 * mobile number normalised to E.164. {@link #applyTo} gives the contact after the change: plain fields are
 * replaced ({@code null} clears an optional one); {@code address}, {@code social_profiles} and
 * {@code custom_attributes} are merged key by key ({@code null} for a key removes it, {@code null} for the
 * whole object clears it). When no country is given, it comes from the number: on create, when the number
 * changes, and whenever the contact has none.
 */
final class ContactInput {
  static final Set<String> FIELDS = Set.of("name", "mobile_number", "email", "date_of_birth", "company_name", "address",
      "social_profiles", "custom_attributes", "owner_id", "preference", "active", "labels");
  static final Set<String> PREFERENCES = Set.of("proactive", "reactive");
  static final int MAX_LABEL_LENGTH = 50;
  static final int MAX_LABELS = 50;
  private static final Pattern EMAIL = Pattern.compile("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$");
  private static final LocalDate EARLIEST_BIRTH = LocalDate.of(1900, 1, 1);
  private static final int MAX_CUSTOM_ATTRIBUTES = 100;

  private final JsonObject body;
  private final PhoneNumbers.Normalized number;
  private final UUID ownerId;

  private ContactInput(JsonObject body, PhoneNumbers.Normalized number, UUID ownerId) {
    this.body = body;
    this.number = number;
    this.ownerId = ownerId;
  }

  /** Checks {@code raw}; 400 {@code invalid_request}, {@code phone_country_code_missing} or {@code invalid_phone_number}. */
  static ContactInput parse(JsonObject raw, boolean create) {
    for (String field : raw.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw ApiException.invalid("unknown field " + field + " (a contact has " + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
      }
    }
    JsonObject body = new JsonObject();
    text(raw, body, "name", 200);
    text(raw, body, "company_name", 200);
    text(raw, body, "email", 320);
    if (body.getString("email") != null && !EMAIL.matcher(body.getString("email")).matches()) {
      throw ApiException.invalid("email is not an e-mail address");
    }
    if (raw.containsKey("date_of_birth")) {
      LocalDate date = dateOfBirth(raw.getValue("date_of_birth"));
      body.put("date_of_birth", date == null ? null : date.toString());
    }
    if (raw.containsKey("preference")) {
      if (!(raw.getValue("preference") instanceof String preference) || !PREFERENCES.contains(preference)) {
        throw ApiException.invalid("preference must be proactive or reactive");
      }
      body.put("preference", preference);
    }
    if (raw.containsKey("active")) {
      if (!(raw.getValue("active") instanceof Boolean active)) {
        throw ApiException.invalid("active must be true or false");
      }
      body.put("active", active);
    }
    if (raw.containsKey("labels")) {
      body.put("labels", new JsonArray(labels(raw.getValue("labels"))));
    }
    stringObject(raw, body, "address", ContactRow.ADDRESS_KEYS, 200);
    JsonObject address = body.getJsonObject("address");
    if (address != null && address.getValue("country") != null) {
      String country = address.getString("country").strip().toUpperCase(java.util.Locale.ROOT);
      if (!PhoneNumbers.isCountry(country)) {
        throw ApiException.invalid("address.country must be an ISO 3166-1 alpha-2 code such as GB or US");
      }
      address.put("country", country);
    }
    stringObject(raw, body, "social_profiles", ContactRow.SOCIAL_KEYS, 500);
    stringObject(raw, body, "custom_attributes", null, 2000);
    if (body.getJsonObject("custom_attributes") != null
        && body.getJsonObject("custom_attributes").size() > MAX_CUSTOM_ATTRIBUTES) {
      throw ApiException.invalid("custom_attributes has more than " + MAX_CUSTOM_ATTRIBUTES + " keys");
    }
    UUID owner = null;
    if (raw.containsKey("owner_id")) {
      body.put("owner_id", raw.getValue("owner_id"));
      if (raw.getValue("owner_id") != null) {
        owner = Api.id(raw.getValue("owner_id"), "owner_id must be a user id");
      }
    }
    PhoneNumbers.Normalized number = null;
    if (raw.containsKey("mobile_number")) {
      Object value = raw.getValue("mobile_number");
      if (value != null && !(value instanceof String)) {
        throw ApiException.invalid("mobile_number must be a string");
      }
      if (value != null && !((String) value).isBlank()) {
        try {
          number = PhoneNumbers.entered((String) value);
        } catch (PhoneNumbers.Refused refused) {
          throw new ApiException(400, refused.countryCodeMissing() ? "phone_country_code_missing" : "invalid_phone_number",
              refused.getMessage());
        }
      }
      body.put("mobile_number", number == null ? null : number.e164());
    }
    if (create && body.getString("name") == null && number == null && body.getString("email") == null) {
      throw ApiException.invalid("a contact needs a name, mobile_number or email");
    }
    return new ContactInput(body, number, owner);
  }

  boolean has(String field) {
    return body.containsKey(field);
  }

  /** The owner named in the body (null when absent or explicitly null: see {@link #has}). */
  UUID ownerId() {
    return ownerId;
  }

  /** The contact after this change; {@code current} is the stored contact or a blank new one. */
  ContactRow applyTo(ContactRow current) {
    String mobile = has("mobile_number") ? body.getString("mobile_number") : current.mobileNumber();
    JsonObject address = merged(current.address(), "address");
    boolean countryGiven = body.getJsonObject("address") != null && body.getJsonObject("address").getValue("country") != null;
    if (!countryGiven && mobile != null) {
      boolean numberChanged = !Objects.equals(mobile, current.mobileNumber());
      String region = number != null && number.e164().equals(mobile)
          ? number.country()
          : PhoneNumbers.fromInternational(mobile).map(PhoneNumbers.Normalized::country).orElse(null);
      if (region != null && (numberChanged || address.getString("country") == null)) {
        address.put("country", region);
      }
    }
    return new ContactRow(current.id(), current.organizationId(),
        has("name") ? body.getString("name") : current.name(),
        mobile,
        has("email") ? body.getString("email") : current.email(),
        has("date_of_birth")
            ? (body.getString("date_of_birth") == null ? null : LocalDate.parse(body.getString("date_of_birth")))
            : current.dateOfBirth(),
        has("company_name") ? body.getString("company_name") : current.companyName(),
        address,
        merged(current.socialProfiles(), "social_profiles"),
        merged(current.customAttributes(), "custom_attributes"),
        has("owner_id") ? ownerId : current.ownerId(),
        has("preference") ? body.getString("preference") : current.preference(),
        has("active") ? body.getBoolean("active") : current.active(),
        has("labels") ? body.getJsonArray("labels").stream().map(String.class::cast).toList() : current.labels(),
        current.createdAt(), current.updatedAt());
  }

  private JsonObject merged(JsonObject current, String field) {
    if (!has(field)) {
      return current.copy();
    }
    JsonObject change = body.getJsonObject(field);
    if (change == null) {
      return new JsonObject();
    }
    JsonObject result = current.copy();
    change.forEach(entry -> {
      if (entry.getValue() == null) {
        result.remove(entry.getKey());
      } else {
        result.put(entry.getKey(), entry.getValue());
      }
    });
    return result;
  }

  /** Labels from a request: trimmed, non-empty strings of at most 50 characters, duplicates dropped. */
  static List<String> labels(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      throw ApiException.invalid("labels must be an array of strings");
    }
    Set<String> labels = new LinkedHashSet<>();
    for (Object item : array) {
      if (!(item instanceof String label) || label.isBlank()) {
        throw ApiException.invalid("labels must be non-empty strings");
      }
      if (label.strip().length() > MAX_LABEL_LENGTH) {
        throw ApiException.invalid("a label has at most " + MAX_LABEL_LENGTH + " characters");
      }
      labels.add(label.strip());
    }
    if (labels.size() > MAX_LABELS) {
      throw ApiException.invalid("a contact has at most " + MAX_LABELS + " labels");
    }
    return new ArrayList<>(labels);
  }

  private static void text(JsonObject raw, JsonObject body, String field, int maxLength) {
    if (!raw.containsKey(field)) {
      return;
    }
    Object value = raw.getValue(field);
    if (value != null && !(value instanceof String)) {
      throw ApiException.invalid(field + " must be a string");
    }
    String text = value == null ? null : ((String) value).strip();
    if (text != null && text.length() > maxLength) {
      throw ApiException.invalid(field + " is longer than " + maxLength + " characters");
    }
    body.put(field, text == null || text.isEmpty() ? null : text);
  }

  /** An object whose values are strings (or null to remove a key); {@code keys} null allows any key. */
  private static void stringObject(JsonObject raw, JsonObject body, String field, List<String> keys, int maxLength) {
    if (!raw.containsKey(field)) {
      return;
    }
    Object value = raw.getValue(field);
    if (value == null) {
      body.putNull(field);
      return;
    }
    if (!(value instanceof JsonObject object)) {
      throw ApiException.invalid(field + " must be an object");
    }
    JsonObject checked = new JsonObject();
    for (String key : object.fieldNames()) {
      if (keys != null && !keys.contains(key)) {
        throw ApiException.invalid(field + " has no key " + key + " (it has " + String.join(", ", keys) + ")");
      }
      if (key.isBlank() || key.length() > 100) {
        throw ApiException.invalid(field + " keys must have 1 to 100 characters");
      }
      Object item = object.getValue(key);
      if (item != null && !(item instanceof String)) {
        throw ApiException.invalid(field + "." + key + " must be a string");
      }
      String text = item == null ? null : ((String) item).strip();
      if (text != null && text.length() > maxLength) {
        throw ApiException.invalid(field + "." + key + " is longer than " + maxLength + " characters");
      }
      checked.put(key, text == null || text.isEmpty() ? null : text);
    }
    body.put(field, checked);
  }

  private static LocalDate dateOfBirth(Object value) {
    if (value == null) {
      return null;
    }
    LocalDate date;
    try {
      if (!(value instanceof String text) || !text.matches("\\d{4}-\\d{2}-\\d{2}")) {
        throw new DateTimeParseException("shape", String.valueOf(value), 0);
      }
      date = LocalDate.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiException.invalid("date_of_birth must be a date written YYYY-MM-DD");
    }
    if (date.isAfter(LocalDate.now()) || date.isBefore(EARLIEST_BIRTH)) {
      throw ApiException.invalid("date_of_birth must be between 1900-01-01 and today");
    }
    return date;
  }
}

package dev.parley.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A contact as the REST API shows it. {@code address}, {@code socialProfiles} and {@code customAttributes} hold
 * only the keys that have a value; {@link #toJson()} writes every address and social-profile key (null when
 * empty).
 */
public record ContactRow(UUID id, UUID organizationId, String name, String mobileNumber, String email,
    LocalDate dateOfBirth, String companyName, JsonObject address, JsonObject socialProfiles,
    JsonObject customAttributes, UUID ownerId, String preference, boolean active, List<String> labels,
    OffsetDateTime createdAt, OffsetDateTime updatedAt) {
  public static final List<String> ADDRESS_KEYS = List.of("street", "city", "state", "zip", "country");
  public static final List<String> SOCIAL_KEYS = List.of("instagram", "facebook", "linkedin", "twitter");

  public String country() {
    return address.getString("country");
  }

  public JsonObject toJson() {
    JsonObject fullAddress = new JsonObject();
    ADDRESS_KEYS.forEach(key -> fullAddress.put(key, address.getString(key)));
    JsonObject social = new JsonObject();
    SOCIAL_KEYS.forEach(key -> social.put(key, socialProfiles.getString(key)));
    return new JsonObject()
        .put("id", id.toString())
        .put("organization_id", organizationId.toString())
        .put("name", name)
        .put("mobile_number", mobileNumber)
        .put("email", email)
        .put("date_of_birth", dateOfBirth == null ? null : dateOfBirth.toString())
        .put("company_name", companyName)
        .put("address", fullAddress)
        .put("social_profiles", social)
        .put("custom_attributes", customAttributes.copy())
        .put("owner_id", ownerId == null ? null : ownerId.toString())
        .put("preference", preference)
        .put("active", active)
        .put("labels", new JsonArray(new ArrayList<>(labels)))
        .put("created_at", Timestamps.iso(createdAt))
        .put("updated_at", Timestamps.iso(updatedAt));
  }

  /** The short form embedded in conversation rows and events (as {@link ContactStore.ContactRef#toJson}). */
  public JsonObject summary() {
    return new ContactStore.ContactRef(id, null, name, mobileNumber, country(), false, false).toJson();
  }

  static ContactRow from(Row row) {
    return new ContactRow(row.getUUID("id"), row.getUUID("organization_id"), row.getString("name"),
        row.getString("mobile_number"), row.getString("email"), row.getLocalDate("date_of_birth"),
        row.getString("company_name"), object(row, "address"), object(row, "social_profiles"),
        object(row, "custom_attributes"), row.getUUID("owner_id"), row.getString("preference"),
        row.getBoolean("active"), List.of(row.getArrayOfStrings("labels")), row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"));
  }

  private static JsonObject object(Row row, String column) {
    Object value = row.getValue(column);
    return value instanceof JsonObject json ? json : new JsonObject();
  }

  Tuple tuple() {
    return Tuple.from(new Object[] {id, organizationId, name, mobileNumber, email, dateOfBirth, companyName, address,
        socialProfiles, customAttributes, ownerId, preference, active, labels.toArray(String[]::new)});
  }
}

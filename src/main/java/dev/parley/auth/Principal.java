package dev.parley.auth;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.UUID;

/**
 * Who is calling: a signed-in user (admin or agent) or an organization's API key (role {@code service}).
 * Everything a caller may see or change is scoped to {@link #organizationId()}.
 *
 * @param id the user's id, or the API key's id
 * @param expiresAt when the credential stops being valid (a token's expiry); null for API keys
 */
public record Principal(Kind kind, UUID id, UUID organizationId, String role, String name, Instant expiresAt) {
  public static final String ADMIN = "admin";
  public static final String AGENT = "agent";
  public static final String SERVICE = "service";

  public enum Kind { USER, API_KEY }

  public boolean isUser() {
    return kind == Kind.USER;
  }

  /** An admin user (API keys are never admins: they cannot manage users or other keys). */
  public boolean isAdmin() {
    return isUser() && ADMIN.equals(role);
  }

  /** The user's id, or null for an API key. */
  public UUID userId() {
    return isUser() ? id : null;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("kind", isUser() ? "user" : "api_key")
        .put("id", id.toString())
        .put("organization_id", organizationId.toString())
        .put("role", role)
        .put("name", name)
        .put("expires_at", expiresAt == null ? null : expiresAt.toString());
  }
}

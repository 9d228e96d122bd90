package dev.parley.push;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The bodies published on {@code Addresses.PUSH} for the hub's shards: plain JSON, so they cross a clustered
 * event bus unchanged. Three kinds ({@code kind}):
 * <ul>
 *   <li>{@code event}: a sequenced frame for every socket of the organization ({@code org}, {@code seq}, {@code frame});
 *   <li>{@code events}: consecutive sequenced frames of one organization from one commit ({@code org}, {@code seq}
 *       of the first, {@code frames}): one message per organization per batch, written to each socket in a row;
 *   <li>{@code direct}: an unsequenced frame for some sockets only: those in {@code view}, those of {@code user},
 *       or all users' sockets but {@code except_user}'s (notifications, typing);
 *   <li>{@code reset}: the organization's sequence broke (Redis unavailable when events committed), so its
 *       clients must refetch.
 * </ul>
 */
public final class PushMessage {
  static final String KIND = "kind";
  static final String EVENT = "event";
  static final String EVENTS = "events";
  static final String DIRECT = "direct";
  static final String RESET = "reset";

  private PushMessage() {}

  static JsonObject sequenced(UUID organizationId, long seq, String frame) {
    return new JsonObject().put(KIND, EVENT).put("org", organizationId.toString()).put("seq", seq).put("frame", frame);
  }

  static JsonObject sequenced(UUID organizationId, long firstSeq, List<String> frames) {
    return new JsonObject().put(KIND, EVENTS).put("org", organizationId.toString()).put("seq", firstSeq)
        .put("frames", new JsonArray(new ArrayList<>(frames)));
  }

  static JsonObject reset(UUID organizationId) {
    return new JsonObject().put(KIND, RESET).put("org", organizationId.toString());
  }

  /**
   * An unsequenced {@code {"type":"event","event":…,"data":…}} frame for the sockets of {@code organizationId}
   * that are in {@code view} or belong to {@code user} (either may be null).
   */
  public static JsonObject toViewOrUser(UUID organizationId, String type, JsonObject data, String view, UUID user) {
    return direct(organizationId, type, data).put("view", view).put("user", user == null ? null : user.toString());
  }

  /** An unsequenced frame for every signed-in user's sockets in the organization except {@code exceptUser}'s. */
  public static JsonObject toUsersExcept(UUID organizationId, String type, JsonObject data, UUID exceptUser) {
    return direct(organizationId, type, data).put("except_user", exceptUser.toString());
  }

  private static JsonObject direct(UUID organizationId, String type, JsonObject data) {
    String frame = new JsonObject().put("type", "event").put("event", type).put("data", data).encode();
    return new JsonObject().put(KIND, DIRECT).put("org", organizationId.toString()).put("frame", frame);
  }
}

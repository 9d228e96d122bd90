package dev.parley.simulator;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One of Meta's errors, in the two shapes it travels in: the synchronous Graph answer
 * ({@code {"error":{"message","type","code","error_data":{"messaging_product","details"},"fbtrace_id"}}}) and
 * the asynchronous {@code statuses[].errors[]} entry of a {@code failed} status.
 */
record GraphError(int httpStatus, int code, String title, String details, String type, Integer subcode) {
  static final String HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/";

  private record Known(int httpStatus, String title, String details) {}

  /** Meta's titles (error-codes page) with the HTTP status Cloud API answers them with. */
  private static final Map<Integer, Known> KNOWN = Map.ofEntries(
      Map.entry(2, new Known(503, "Service temporarily unavailable", "Service temporarily unavailable")),
      Map.entry(4, new Known(429, "Application request limit reached", "Too many calls from this app")),
      Map.entry(100, new Known(400, "Invalid parameter", "Invalid parameter")),
      Map.entry(130429, new Known(429, "Rate limit hit",
          "Message failed to send because there were too many messages sent from this phone number in a short period of time")),
      Map.entry(130472, new Known(400, "User's number is part of an experiment",
          "Failed to send message because this user's phone number is part of an experiment")),
      Map.entry(131000, new Known(500, "Something went wrong", "Something went wrong")),
      Map.entry(131008, new Known(400, "Required parameter is missing", "A required parameter is missing")),
      Map.entry(131009, new Known(400, "Parameter value is not valid", "A parameter value is not valid")),
      Map.entry(131016, new Known(503, "Service unavailable", "A service is temporarily unavailable")),
      Map.entry(131021, new Known(400, "Recipient cannot be sender", "Sender and recipient phone number is the same")),
      Map.entry(131026, new Known(400, "Message undeliverable", "Message Undeliverable.")),
      Map.entry(131031, new Known(403, "Account has been locked", "The business account is locked")),
      Map.entry(131047, new Known(400, "Re-engagement message",
          "Message failed to send because more than 24 hours have passed since the customer last replied to this number.")),
      Map.entry(131048, new Known(429, "Spam rate limit hit",
          "Message failed to send because there are restrictions on how many messages can be sent from this phone number.")),
      Map.entry(131049, new Known(400, "This message was not delivered to maintain healthy ecosystem engagement.",
          "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.")),
      Map.entry(131051, new Known(400, "Unsupported message type", "Message type is not currently supported.")),
      Map.entry(131052, new Known(400, "Media download error", "Unable to download the media sent by the user.")),
      Map.entry(131053, new Known(400, "Media upload error", "Unable to upload the media used in the message.")),
      Map.entry(131056, new Known(429, "(Business Account, Consumer Account) pair rate limit hit",
          "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.")),
      Map.entry(132000, new Known(400, "Number of parameters does not match the expected number of params",
          "The number of variable parameter values does not match the number of variables defined in the template.")),
      Map.entry(132001, new Known(404, "Template name does not exist in the translation",
          "The template does not exist in the specified language or has not been approved.")),
      Map.entry(132012, new Known(400, "Parameter format does not match format in the created template",
          "The parameter format does not match the format of the template.")),
      Map.entry(132015, new Known(400, "Template is Paused", "The template is paused because of low quality.")),
      Map.entry(132016, new Known(400, "Template is Disabled", "The template has been disabled.")),
      Map.entry(133004, new Known(503, "Server temporarily unavailable", "Server temporarily unavailable")),
      Map.entry(368, new Known(403, "Temporarily blocked for policies violations",
          "The WhatsApp Business Account is restricted from messaging")));

  /** Meta's error {@code code} with its usual HTTP status and title, and the given details (null: Meta's default). */
  static GraphError of(int code, String details) {
    Known known = KNOWN.getOrDefault(code, new Known(400, "Unknown error", "Unknown error"));
    return new GraphError(known.httpStatus(), code, known.title(), details == null ? known.details() : details,
        "OAuthException", null);
  }

  /** What the Graph API answers for a missing, unknown or wrong bearer token. */
  static GraphError invalidToken() {
    return new GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token", null, "OAuthException", null);
  }

  /** What the Graph API answers for an id it does not know (or that the token may not see). */
  static GraphError unknownObject(String method, String id) {
    return new GraphError(400, 100, "Unsupported " + method + " request. Object with ID '" + id
        + "' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
        null, "GraphMethodException", 33);
  }

  /** Whether Meta knows this code (the control API refuses injections of codes it would never send). */
  static boolean known(int code) {
    return code == 190 || KNOWN.containsKey(code);
  }

  /** The synchronous answer's body. */
  JsonObject body() {
    var error = new JsonObject()
        .put("message", code == 190 || subcode != null ? title : "(#" + code + ") " + title)
        .put("type", type)
        .put("code", code);
    if (details != null) {
      error.put("error_data", new JsonObject().put("messaging_product", "whatsapp").put("details", details));
    }
    if (subcode != null) {
      error.put("error_subcode", subcode);
    }
    return new JsonObject().put("error", error.put("fbtrace_id", fbtraceId()));
  }

  /** The entry of a {@code failed} status's {@code errors[]}. */
  JsonObject statusError() {
    return new JsonObject()
        .put("code", code)
        .put("title", title)
        .put("message", title)
        .put("error_data", new JsonObject().put("details", details))
        .put("href", HREF);
  }

  private static String fbtraceId() {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    var random = ThreadLocalRandom.current();
    var id = new StringBuilder(23);
    for (int i = 0; i < 23; i++) {
      id.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return id.toString();
  }
}

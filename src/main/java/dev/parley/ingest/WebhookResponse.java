package dev.parley.ingest;

/**
 * What to answer the provider.
 *
 * @param status the HTTP status
 * @param outcome a low-cardinality label for metrics ({@code stored}, {@code duplicate}, {@code invalid_signature}...)
 * @param body the text to answer with on success (the handshake challenge, or a JSON summary)
 * @param errorCode the stable {@code error.code} when the status is not 2xx
 */
public record WebhookResponse(int status, String outcome, String body, String errorCode, String errorMessage) {

  static WebhookResponse ok(String outcome, String body) {
    return new WebhookResponse(200, outcome, body, null, null);
  }

  static WebhookResponse error(int status, String outcome, String code, String message) {
    return new WebhookResponse(status, outcome, null, code, message);
  }

  public static WebhookResponse malformed(String message) {
    return error(400, "malformed", "malformed_payload", message);
  }

  public static WebhookResponse unavailable() {
    return error(503, "unavailable", "store_unavailable", "the message store is unavailable; retry later");
  }

  public boolean success() {
    return status >= 200 && status < 300;
  }
}

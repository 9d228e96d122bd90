package dev.parley.provider;

/**
 * A provider refused or failed a call. {@link #code()} is the provider's own error code (WhatsApp's
 * {@code error.code}, e.g. 130429, 131047) or one of the transport codes below when no answer came.
 * Classify on the code, never on the HTTP status (providers are inconsistent about the latter).
 */
public final class ProviderException extends RuntimeException {
  /** No answer within the request timeout: the provider may or may not have acted on the request. */
  public static final int TIMEOUT = -1;
  /** The connection failed before a request could be delivered (refused, reset, DNS...). */
  public static final int TRANSPORT = -2;
  /** An answer came that is not the provider's format (e.g. an HTML error page from a proxy). */
  public static final int UNREADABLE = -3;

  private final int code;
  private final String title;
  private final String details;
  private final int httpStatus;

  public ProviderException(int code, String title, String details, int httpStatus) {
    super("(" + code + ") " + title + (details == null ? "" : ": " + details));
    this.code = code;
    this.title = title;
    this.details = details;
    this.httpStatus = httpStatus;
  }

  public int code() {
    return code;
  }

  public String title() {
    return title;
  }

  /** The provider's explanation ({@code error_data.details}), or null. */
  public String details() {
    return details;
  }

  /** The HTTP status of the answer, or 0 when there was none. */
  public int httpStatus() {
    return httpStatus;
  }
}

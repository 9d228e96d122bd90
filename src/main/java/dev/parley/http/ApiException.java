package dev.parley.http;

/**
 * A refused request, carrying the HTTP status and the stable {@code error.code} to answer with
 * ({@code unauthorized}, {@code invalid_token}, {@code token_expired}, {@code forbidden}, {@code not_found},
 * {@code invalid_request}, ...). Thrown or failed with anywhere below a route; the API's failure handler
 * turns it into {@link ErrorResponse}.
 */
public final class ApiException extends RuntimeException {
  private final int status;
  private final String code;

  public ApiException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public static ApiException unauthorized(String code, String message) {
    return new ApiException(401, code, message);
  }

  public static ApiException invalid(String message) {
    return new ApiException(400, "invalid_request", message);
  }

  public static ApiException notFound(String what) {
    return new ApiException(404, "not_found", what + " not found");
  }

  public static ApiException forbidden(String message) {
    return new ApiException(403, "forbidden", message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}

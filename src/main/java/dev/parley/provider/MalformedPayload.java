package dev.parley.provider;

/** A webhook body that is not the provider's format: answered 400, never retried into the store. */
public final class MalformedPayload extends RuntimeException {
  public MalformedPayload(String message) {
    super(message);
  }

  public MalformedPayload(String message, Throwable cause) {
    super(message, cause);
  }
}

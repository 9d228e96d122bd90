package dev.parley.provider;

import java.util.Set;

/**
 * One classifier for the provider's error codes, whether they come back from a send or later in a {@code failed}
 * status webhook (WhatsApp Cloud API, provider-formats §2.6): whether to retry, and what the agent should do
 * about a final failure. Decisions key off the code, never the HTTP status.
 */
public final class ProviderErrors {
  /** The agent must send an approved template: the service window has closed. */
  public static final String SEND_TEMPLATE = "send_template";
  /** The customer cannot be reached on this channel (not on WhatsApp, blocked, experiment...). */
  public static final String UNREACHABLE = "unreachable";
  /** The file could not be used: fix or replace the media. */
  public static final String FIX_MEDIA = "fix_media";
  /** The template or its parameters were refused: fix the template. */
  public static final String FIX_TEMPLATE = "fix_template";
  /** A limit was hit: try again later. */
  public static final String RETRY_LATER = "retry_later";
  /** The account, its permissions or its billing need attention: contact support. */
  public static final String CONTACT_SUPPORT = "contact_support";

  private static final Set<Integer> RETRYABLE = Set.of(
      1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004,
      ProviderException.TIMEOUT, ProviderException.TRANSPORT, ProviderException.UNREADABLE);

  private ProviderErrors() {}

  /** Worth another attempt later (rate limits, provider trouble, no answer). */
  public static boolean retryable(int code) {
    return RETRYABLE.contains(code);
  }

  /**
   * No answer came, so the provider may have accepted the message: before sending again, wait for its status
   * webhook to prove it did or did not.
   */
  public static boolean outcomeUnknown(int code) {
    return code == ProviderException.TIMEOUT || code == ProviderException.TRANSPORT;
  }

  /** What an agent should do about a message that failed with {@code code}. */
  public static String action(Integer code) {
    if (code == null) {
      return null;
    }
    return switch (code) {
      case 131047, 470 -> SEND_TEMPLATE;
      case 131026, 131021, 130472, 131049 -> UNREACHABLE;
      case 131051, 131052, 131053 -> FIX_MEDIA;
      case 132000, 132001, 132005, 132007, 132012, 132015, 132016, 132068, 132069 -> FIX_TEMPLATE;
      case 4, 80007, 130429, 131048, 131056, 1, 2, 131000, 131016, 133004,
          ProviderException.TIMEOUT, ProviderException.TRANSPORT, ProviderException.UNREADABLE -> RETRY_LATER;
      default -> CONTACT_SUPPORT;
    };
  }
}

package dev.parley.contact;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.util.Optional;

/** Phone numbers normalised with libphonenumber: E.164 and the country they belong to. Thread-safe. */
public final class PhoneNumbers {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

  private PhoneNumbers() {}

  /** A number with its country: {@code e164} like {@code +16505551234}, {@code country} ISO 3166-1 alpha-2. */
  public record Normalized(String e164, String country) {}

  /**
   * Normalises a number written with its country code, with or without a leading {@code +} (WhatsApp's
   * {@code wa_id} has none). Empty when it is not a possible number.
   */
  public static Optional<Normalized> fromInternational(String number) {
    if (number == null || number.isBlank()) {
      return Optional.empty();
    }
    String digits = number.strip();
    if (!digits.startsWith("+")) {
      digits = "+" + digits;
    }
    try {
      PhoneNumber parsed = UTIL.parse(digits, "ZZ");
      if (!UTIL.isPossibleNumber(parsed)) {
        return Optional.empty();
      }
      // the exact region for a valid number (+1 → US or CA...), else the calling code's main region
      String region = UTIL.getRegionCodeForNumber(parsed);
      if (region == null) {
        region = UTIL.getRegionCodeForCountryCode(parsed.getCountryCode());
      }
      return Optional.of(new Normalized(
          UTIL.format(parsed, PhoneNumberUtil.PhoneNumberFormat.E164),
          region == null || region.equals("ZZ") || region.equals("001") ? null : region));
    } catch (NumberParseException e) {
      return Optional.empty();
    }
  }

  /** The country of a WhatsApp business-scoped user id ({@code US.1349...}), or null. */
  public static String countryOfUserId(String userId) {
    if (userId != null && userId.length() > 3 && userId.charAt(2) == '.'
        && Character.isUpperCase(userId.charAt(0)) && Character.isUpperCase(userId.charAt(1))) {
      return userId.substring(0, 2);
    }
    return null;
  }
}

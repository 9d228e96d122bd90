package dev.parley.contact;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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
    Optional<Normalized> known = SEEN.get(number);
    if (known != null) {
      return known;
    }
    if (SEEN.size() >= SEEN_MAX) {
      SEEN.clear(); // bounded: a crude reset is enough for a cache whose misses cost microseconds
    }
    Optional<Normalized> normalized = parse(number);
    SEEN.put(number, normalized);
    return normalized;
  }

  /**
   * Numbers already normalised: every inbound message names its sender's number, and the same customers write again
   * and again, while finding a number's region runs libphonenumber's patterns for every region of its calling code.
   */
  private static final java.util.concurrent.ConcurrentHashMap<String, Optional<Normalized>> SEEN =
      new java.util.concurrent.ConcurrentHashMap<>();
  private static final int SEEN_MAX = 100_000;

  private static Optional<Normalized> parse(String number) {
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

  /**
   * Normalises a number a person typed (REST, imports, CRM sync): it must start with its country code, written
   * {@code +44…} or {@code 0044…}; spaces, dashes, dots and parentheses are ignored. Stricter than
   * {@link #fromInternational}: the number must be valid for its region, not merely possible.
   *
   * @throws Refused when it has no country code prefix or is not a valid number
   */
  public static Normalized entered(String number) {
    String compact = number == null ? "" : number.strip().replaceAll("[\\s().\\-\\u00A0]", "");
    if (compact.startsWith("00")) {
      compact = "+" + compact.substring(2);
    }
    if (!compact.startsWith("+")) {
      throw compact.matches("[0-9]{3,}")
          ? new Refused(true, "mobile_number must start with its country code (+44… or 0044…)")
          : new Refused(false, "mobile_number is not a phone number");
    }
    if (!compact.substring(1).matches("[0-9]{2,17}")) {
      throw new Refused(false, "mobile_number is not a phone number");
    }
    try {
      PhoneNumber parsed = UTIL.parse(compact, "ZZ");
      if (!UTIL.isValidNumber(parsed)) {
        throw new Refused(false, "mobile_number is not a valid number for its country code");
      }
      String region = UTIL.getRegionCodeForNumber(parsed);
      return new Normalized(UTIL.format(parsed, PhoneNumberUtil.PhoneNumberFormat.E164),
          region == null || region.equals("ZZ") || region.equals("001") ? null : region);
    } catch (NumberParseException e) {
      throw new Refused(false, "mobile_number has an unknown country code");
    }
  }

  /** A number {@link #entered} refused; {@link #countryCodeMissing()} tells a national number from garbage. */
  public static final class Refused extends RuntimeException {
    private final boolean countryCodeMissing;

    Refused(boolean countryCodeMissing, String message) {
      super(message, null, false, false);
      this.countryCodeMissing = countryCodeMissing;
    }

    public boolean countryCodeMissing() {
      return countryCodeMissing;
    }
  }

  private static final Set<String> COUNTRIES = countries();

  /** Whether {@code code} is an ISO 3166-1 alpha-2 country (Java's list, plus regions libphonenumber knows, e.g. XK). */
  public static boolean isCountry(String code) {
    return code != null && COUNTRIES.contains(code);
  }

  private static Set<String> countries() {
    Set<String> all = new TreeSet<>(Set.of(Locale.getISOCountries()));
    all.addAll(UTIL.getSupportedRegions());
    return Set.copyOf(all);
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

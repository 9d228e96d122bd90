package dev.parley.contact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhoneNumbersTest {

  @Test
  void whatsAppIdsBecomeE164WithTheirCountry() {
    assertEquals(new PhoneNumbers.Normalized("+16505551234", "US"), PhoneNumbers.fromInternational("16505551234").orElseThrow());
    assertEquals(new PhoneNumbers.Normalized("+447700900123", "GB"), PhoneNumbers.fromInternational("447700900123").orElseThrow());
    assertEquals(new PhoneNumbers.Normalized("+972987654321", "IL"), PhoneNumbers.fromInternational("+972 98-765-4321").orElseThrow());
  }

  @Test
  void impossibleNumbersAreRefused() {
    assertTrue(PhoneNumbers.fromInternational("12").isEmpty());
    assertTrue(PhoneNumbers.fromInternational("not a number").isEmpty());
    assertTrue(PhoneNumbers.fromInternational(null).isEmpty());
  }

  @Test
  void businessScopedUserIdsNameTheirCountry() {
    assertEquals("US", PhoneNumbers.countryOfUserId("US.13491208655302741918"));
    assertEquals("MX", PhoneNumbers.countryOfUserId("MX.0987654321"));
    assertNull(PhoneNumbers.countryOfUserId("13491208655302741918"));
  }

  @Test
  void enteredNumbersNeedTheirCountryCodeAndBecomeE164() {
    assertEquals(new PhoneNumbers.Normalized("+442079460958", "GB"), PhoneNumbers.entered("+44 20 7946 0958"));
    assertEquals(new PhoneNumbers.Normalized("+442079460958", "GB"), PhoneNumbers.entered("0044 (20) 7946-0958"));
    assertEquals(new PhoneNumbers.Normalized("+33612345678", "FR"), PhoneNumbers.entered(" +33 6 12 34 56 78 "));
    assertEquals(new PhoneNumbers.Normalized("+16505551234", "US"), PhoneNumbers.entered("+1.650.555.1234"));
  }

  @Test
  void enteredNumbersWithoutCountryCodeAreToldApartFromInvalidOnes() {
    assertTrue(assertThrows(PhoneNumbers.Refused.class, () -> PhoneNumbers.entered("020 7946 0958")).countryCodeMissing());
    assertTrue(assertThrows(PhoneNumbers.Refused.class, () -> PhoneNumbers.entered("6505551234")).countryCodeMissing());
    for (String invalid : new String[] {"+44 20", "+999 123456", "call me", "+44 20 7946 0958 ext", "", "+", "00"}) {
      assertFalse(assertThrows(PhoneNumbers.Refused.class, () -> PhoneNumbers.entered(invalid), invalid)
          .countryCodeMissing(), invalid);
    }
    // possible but not valid: WhatsApp ids pass fromInternational, a typed number must be valid
    assertTrue(PhoneNumbers.fromInternational("447700900123").isPresent());
    assertThrows(PhoneNumbers.Refused.class, () -> PhoneNumbers.entered("+447700900123"));
  }

  @Test
  void countriesAreIsoAlpha2Codes() {
    assertTrue(PhoneNumbers.isCountry("GB"));
    assertTrue(PhoneNumbers.isCountry("XK"), "libphonenumber's regions count too");
    assertFalse(PhoneNumbers.isCountry("gb"));
    assertFalse(PhoneNumbers.isCountry("UK"));
    assertFalse(PhoneNumbers.isCountry("ZZ"));
    assertFalse(PhoneNumbers.isCountry(null));
  }
}

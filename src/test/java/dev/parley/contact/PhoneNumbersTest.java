package dev.parley.contact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
}

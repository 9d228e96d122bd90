package dev.parley.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PasswordHasherTest {

  @Test
  void hashesAreSaltedAndVerifyOnlyTheirPassword() {
    String first = PasswordHasher.hash("correct horse battery staple");
    String second = PasswordHasher.hash("correct horse battery staple");
    assertNotEquals(first, second, "a random salt each time");
    assertTrue(first.startsWith("pbkdf2-sha256$310000$"));
    assertTrue(PasswordHasher.verify("correct horse battery staple", first));
    assertFalse(PasswordHasher.verify("correct horse battery stapler", first));
    assertFalse(PasswordHasher.verify("anything", "plain-text-password"));
    assertFalse(PasswordHasher.verify("anything", null));
  }
}

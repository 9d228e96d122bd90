package dev.parley.store;

import java.time.OffsetDateTime;

/** How API answers write a {@code timestamptz} column: ISO-8601 in UTC, or null. */
public final class Timestamps {
  private Timestamps() {}

  public static String iso(OffsetDateTime time) {
    return time == null ? null : time.toInstant().toString();
  }
}

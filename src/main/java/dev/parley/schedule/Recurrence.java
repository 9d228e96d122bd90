package dev.parley.schedule;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Period;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;

/**
 * When a recurring scheduled message goes out next. Occurrences keep the wall-clock time of the first one in the
 * schedule's time zone: a daily 09:00 in {@code Europe/Berlin} is 08:00 UTC in winter and 07:00 UTC in summer.
 * Each occurrence is computed from the first (not from the previous one), so a time that falls into a DST gap
 * (02:30 on the night clocks go forward) is moved to just after the gap for that day only, and the series returns
 * to 02:30 the next day. A time that exists twice (the night clocks go back) takes the earlier of the two.
 */
public enum Recurrence {
  NONE(null),
  DAILY(Period.ofDays(1)),
  WEEKLY(Period.ofWeeks(1));

  private final Period step;

  Recurrence(Period step) {
    this.step = step;
  }

  /** The API name: {@code none}, {@code daily}, {@code weekly}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The recurrence of an API name; empty for anything else. */
  public static Optional<Recurrence> of(String name) {
    for (Recurrence recurrence : values()) {
      if (recurrence.apiName().equals(name)) {
        return Optional.of(recurrence);
      }
    }
    return Optional.empty();
  }

  /**
   * Occurrence {@code n} (1 is the first) of a series whose first occurrence is {@code first}, in {@code zone}.
   */
  public Instant occurrence(Instant first, ZoneId zone, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("occurrences count from 1, got " + n);
    }
    if (step == null || n == 1) {
      if (n != 1) {
        throw new IllegalArgumentException("a one-off message has one occurrence");
      }
      return first;
    }
    LocalDateTime local = first.atZone(zone).toLocalDateTime().plus(step.multipliedBy(n - 1));
    // ZonedDateTime.of moves a time in a gap forward by the gap's length and picks the earlier offset in an overlap
    return ZonedDateTime.of(local, zone).toInstant();
  }

  /**
   * The first occurrence after {@code current} (number {@code currentNumber}) that is also after {@code notBefore}:
   * occurrences missed while no node ran are skipped rather than sent in a burst. Empty for a one-off message.
   */
  public Optional<Next> next(Instant first, ZoneId zone, int currentNumber, Instant notBefore) {
    if (step == null) {
      return Optional.empty();
    }
    int number = currentNumber + 1;
    Instant at = occurrence(first, zone, number);
    while (!at.isAfter(notBefore)) {
      number++;
      at = occurrence(first, zone, number);
    }
    return Optional.of(new Next(number, at));
  }

  /** A computed occurrence: its number in the series and its time. */
  public record Next(int number, Instant at) {}
}

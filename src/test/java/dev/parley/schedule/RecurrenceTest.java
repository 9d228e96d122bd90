package dev.parley.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecurrenceTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  @Test
  void aDailyNineOClockStaysNineOClockWhenTheClocksGoForward() {
    // 09:00 in Berlin on Friday 28 March 2025 (CET, +01:00); clocks go forward on Sunday 30 March
    Instant first = Instant.parse("2025-03-28T08:00:00Z");
    assertEquals(Instant.parse("2025-03-29T08:00:00Z"), Recurrence.DAILY.occurrence(first, BERLIN, 2));
    assertEquals(Instant.parse("2025-03-30T07:00:00Z"), Recurrence.DAILY.occurrence(first, BERLIN, 3)); // CEST
    assertEquals(Instant.parse("2025-03-31T07:00:00Z"), Recurrence.DAILY.occurrence(first, BERLIN, 4));
  }

  @Test
  void aDailyNineOClockStaysNineOClockWhenTheClocksGoBack() {
    Instant first = Instant.parse("2025-10-25T07:00:00Z"); // 09:00 CEST; back to CET on 26 October
    assertEquals(Instant.parse("2025-10-26T08:00:00Z"), Recurrence.DAILY.occurrence(first, BERLIN, 2));
  }

  @Test
  void aTimeInTheSkippedHourMovesPastTheGapForThatDayOnly() {
    Instant first = Instant.parse("2025-03-08T07:30:00Z"); // 02:30 EST in New York; 02:30 does not exist on 9 March
    assertEquals(Instant.parse("2025-03-09T07:30:00Z"), Recurrence.DAILY.occurrence(first, NEW_YORK, 2)); // 03:30 EDT
    assertEquals(Instant.parse("2025-03-10T06:30:00Z"), Recurrence.DAILY.occurrence(first, NEW_YORK, 3)); // 02:30 EDT
  }

  @Test
  void aTimeThatHappensTwiceTakesTheFirst() {
    Instant first = Instant.parse("2025-11-01T05:30:00Z"); // 01:30 EDT; on 2 November 01:30 comes twice
    assertEquals(Instant.parse("2025-11-02T05:30:00Z"), Recurrence.DAILY.occurrence(first, NEW_YORK, 2)); // first one, EDT
    assertEquals(Instant.parse("2025-11-03T06:30:00Z"), Recurrence.DAILY.occurrence(first, NEW_YORK, 3)); // EST
  }

  @Test
  void weeklyKeepsTheWeekdayAndTheLocalTime() {
    Instant first = Instant.parse("2025-03-24T08:00:00Z"); // Monday 09:00 CET
    assertEquals(Instant.parse("2025-03-31T07:00:00Z"), Recurrence.WEEKLY.occurrence(first, BERLIN, 2)); // Monday 09:00 CEST
    assertEquals(Instant.parse("2025-04-07T07:00:00Z"), Recurrence.WEEKLY.occurrence(first, BERLIN, 3));
  }

  @Test
  void theNextOccurrenceSkipsThoseMissedWhileNothingRan() {
    Instant first = Instant.parse("2025-01-01T09:00:00Z");
    var next = Recurrence.DAILY.next(first, ZoneId.of("UTC"), 1, Instant.parse("2025-01-05T10:00:00Z")).orElseThrow();
    assertEquals(6, next.number());
    assertEquals(Instant.parse("2025-01-06T09:00:00Z"), next.at());
    var onTime = Recurrence.DAILY.next(first, ZoneId.of("UTC"), 1, first).orElseThrow();
    assertEquals(new Recurrence.Next(2, Instant.parse("2025-01-02T09:00:00Z")), onTime);
  }

  @Test
  void aOneOffMessageHasNoNextOccurrence() {
    Instant first = Instant.parse("2025-01-01T09:00:00Z");
    assertEquals(Optional.empty(), Recurrence.NONE.next(first, BERLIN, 1, first));
    assertEquals(first, Recurrence.NONE.occurrence(first, BERLIN, 1));
    assertThrows(IllegalArgumentException.class, () -> Recurrence.NONE.occurrence(first, BERLIN, 2));
  }

  @Test
  void apiNamesRoundTrip() {
    for (Recurrence recurrence : Recurrence.values()) {
      assertEquals(Optional.of(recurrence), Recurrence.of(recurrence.apiName()));
    }
    assertTrue(Recurrence.of("monthly").isEmpty());
    assertTrue(Recurrence.of("DAILY").isEmpty());
  }
}

package dev.parley.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parley.store.ScheduledMessageStore.Completion;
import dev.parley.store.ScheduledMessageStore.ScheduledRow;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the scheduler records after an occurrence: the next one, or the end of the series. */
class OccurrenceCompletionTest {
  private static final UUID MESSAGE = UUID.randomUUID();

  private static ScheduledRow row(String recurrence, Instant first, Instant sendAt, int occurrence, int sent,
      int failed, Instant endsAt, Integer maxOccurrences) {
    return new ScheduledRow(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), null, "automation",
        new JsonObject().put("type", "text").put("text", new JsonObject().put("body", "Hi")), null, sendAt,
        recurrence, "Europe/Berlin", first, endsAt, maxOccurrences, occurrence, sent, failed, "sending",
        UUID.randomUUID(), null, null, null, null, null, false, null, first, first);
  }

  @Test
  void aOneOffMessageEndsSentOrFailed() {
    Instant at = Instant.now().minusSeconds(1);
    Completion sent = SchedulerVerticle.next(row("none", at, at, 1, 0, 0, null, null), "sent", MESSAGE, false, null, null);
    assertEquals("sent", sent.status());
    assertNull(sent.nextSendAt());
    assertEquals(MESSAGE, sent.messageId());
    Completion failed = SchedulerVerticle.next(row("none", at, at, 1, 0, 0, null, null), "failed", null, false,
        "window_closed", "outside the window");
    assertEquals("failed", failed.status());
    assertEquals("window_closed", failed.errorCode());
  }

  @Test
  void aDailyMessageGoesBackToScheduledForTheSameTimeTomorrowEvenAfterAFailure() {
    Instant at = Instant.now().minusSeconds(5).truncatedTo(ChronoUnit.SECONDS);
    Completion failed = SchedulerVerticle.next(row("daily", at, at, 1, 0, 0, null, null), "failed", null, false,
        "window_closed", "outside the window");
    assertEquals("scheduled", failed.status());
    assertEquals(2, failed.nextOccurrence());
    assertEquals(Recurrence.DAILY.occurrence(at, java.time.ZoneId.of("Europe/Berlin"), 2), failed.nextSendAt());
    assertEquals("window_closed", failed.errorCode());
  }

  @Test
  void theSeriesEndsAtItsLastAllowedOccurrence() {
    Instant first = Instant.now().minus(Duration.ofDays(2)).truncatedTo(ChronoUnit.SECONDS);
    Instant third = first.plus(Duration.ofDays(2));
    // third of at most three
    Completion last = SchedulerVerticle.next(row("daily", first, third, 3, 2, 0, null, 3), "sent", MESSAGE, false, null, null);
    assertEquals("sent", last.status());
    assertNull(last.nextOccurrence());
    // two of at most four done (one failed): this is the third, one more follows
    Completion more = SchedulerVerticle.next(row("daily", first, third, 3, 1, 1, null, 4), "sent", MESSAGE, false, null, null);
    assertEquals("scheduled", more.status());
    // the next one would fall after ends_at
    Completion ended = SchedulerVerticle.next(row("daily", first, third, 3, 2, 0, third.plus(Duration.ofHours(12)), null),
        "sent", MESSAGE, false, null, null);
    assertEquals("sent", ended.status());
  }
}

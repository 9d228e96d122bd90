package dev.parley.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An open-loop load generator: operation {@code i} is due at {@code start + i / rate}, whatever happened to the
 * earlier ones, and its latency is measured from that intended time, so a server that stalls shows the stall in
 * every operation that should have started meanwhile (no coordinated omission). A scheduler thread wakes every
 * millisecond and hands the operations due to the event loops in one task per loop.
 */
final class OpenLoop {
  /** One operation; the future completes when the server's answer (or the awaited frame) arrived. */
  interface Operation {
    Future<?> fire(long index, long intendedNanos);
  }

  /**
   * What a run did.
   *
   * @param offeredPerSecond the schedule's rate
   * @param issued operations started
   * @param succeeded operations that completed successfully (their latencies are in {@code latency})
   * @param failed operations that failed or were refused
   * @param skipped operations not started because too many were outstanding (the server fell behind)
   * @param seconds the schedule's length
   * @param latency microseconds from intended start to completion, successful operations only
   * @param completedPerSecond successful completions in each second since the start
   * @param slowestPerSecond the longest latency (µs) of the successful operations due in each second of the schedule:
   *     slow operations bunched in a few seconds point at a stall, spread over all of them at steady contention
   * @param stealPerSecond the share of the machine's CPU time the hypervisor stole in each second of the schedule (per
   *     cent; empty off Linux), to line slow seconds up with
   * @param steal the same over the whole schedule, or -1 off Linux
   */
  record Result(double offeredPerSecond, long issued, long succeeded, long failed, long skipped, double seconds,
      Histogram latency, long[] completedPerSecond, long[] slowestPerSecond, double[] stealPerSecond, double steal) {
    double achievedPerSecond() {
      return succeeded / seconds;
    }
  }

  /** How long a run waits for answers after its last operation started (the mode sets it once, at start). */
  static volatile Duration drain = Duration.ofSeconds(30);

  private OpenLoop() {}

  static Result run(Vertx vertx, double ratePerSecond, Duration duration, int maxOutstanding, Operation operation) {
    int loops = 2;
    Context[] contexts = new Context[loops];
    for (int i = 0; i < loops; i++) {
      contexts[i] = vertx.getOrCreateContext();
    }
    var recorder = new Recorder(3);
    var succeeded = new AtomicLong();
    var failed = new AtomicLong();
    var outstanding = new AtomicLong();
    long skipped = 0;
    int seconds = (int) Math.ceil(duration.toMillis() / 1000.0);
    var perSecond = new AtomicLongArray(seconds + 120);
    var slowest = new AtomicLongArray(seconds);
    long total = Math.max(1, Math.round(ratePerSecond * duration.toMillis() / 1000.0));
    double periodNanos = 1e9 / ratePerSecond;
    long start = System.nanoTime() + 5_000_000;
    long next = 0;
    int tick = 0;
    long[] cpuAtStart = Bench.cpuTimes();
    long[] cpuBefore = cpuAtStart;
    double[] steal = new double[cpuAtStart == null ? 0 : seconds];
    int sampled = 0;
    while (next < total) {
      long now = System.nanoTime();
      if (sampled < steal.length && now - start >= (sampled + 1) * 1_000_000_000L) {
        long[] cpu = Bench.cpuTimes();
        steal[sampled++] = Bench.stolen(cpuBefore, cpu).orElse(-1.0);
        cpuBefore = cpu;
      }
      long due = Math.min(total, (long) Math.floor((now - start) / periodNanos) + 1);
      if (due <= next) {
        LockSupport.parkNanos(Math.max(50_000, Math.min(1_000_000, start + (long) (next * periodNanos) - now)));
        continue;
      }
      long from = next;
      long to = due;
      long room = maxOutstanding - outstanding.get();
      long allowed = Math.max(0, Math.min(to - from, room));
      skipped += (to - from) - allowed;
      next = to;
      if (allowed == 0) {
        continue;
      }
      outstanding.addAndGet(allowed);
      long last = from + allowed;
      contexts[tick++ % loops].runOnContext(v -> {
        for (long i = from; i < last; i++) {
          long intended = start + (long) (i * periodNanos);
          Future<?> done;
          try {
            done = operation.fire(i, intended);
          } catch (RuntimeException e) {
            done = Future.failedFuture(e);
          }
          done.onComplete(result -> {
            outstanding.decrementAndGet();
            long end = System.nanoTime();
            if (result.succeeded()) {
              long micros = Math.max(1, (end - intended) / 1000);
              recorder.recordValue(micros);
              succeeded.incrementAndGet();
              int dueSecond = (int) ((intended - start) / 1_000_000_000L);
              if (dueSecond >= 0 && dueSecond < slowest.length()) {
                slowest.accumulateAndGet(dueSecond, micros, Math::max);
              }
              int second = (int) ((end - start) / 1_000_000_000L);
              if (second >= 0 && second < perSecond.length()) {
                perSecond.incrementAndGet(second);
              }
            } else if (failed.incrementAndGet() <= 3) {
              System.out.println("  operation failed: " + result.cause());
            }
          });
        }
      });
    }
    double stealOverall = Bench.stolen(cpuAtStart, Bench.cpuTimes()).orElse(-1.0);
    // wait for the stragglers (bounded: whatever has not answered by then counts as failed)
    long drainUntil = System.nanoTime() + drain.toNanos();
    while (outstanding.get() > 0 && System.nanoTime() < drainUntil) {
      LockSupport.parkNanos(2_000_000);
    }
    long stuck = outstanding.get();
    long[] completed = new long[seconds];
    long[] slowestDue = new long[seconds];
    for (int i = 0; i < seconds; i++) {
      completed[i] = perSecond.get(i);
      slowestDue[i] = slowest.get(i);
    }
    return new Result(ratePerSecond, total - skipped, succeeded.get(), failed.get() + stuck, skipped,
        duration.toMillis() / 1000.0, recorder.getIntervalHistogram(), completed, slowestDue,
        Arrays.copyOf(steal, sampled), stealOverall);
  }
}

package dev.parley.push;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The push hub's meters: {@code parley_push_sockets} (connected now), {@code parley_push_frames_out_total}
 * (rate() gives frames per second), {@code parley_push_closes_total{reason}}, {@code parley_push_resumes_total{outcome}}
 * and {@code parley_push_resets_total{cause}}. Shared by every shard (meters are thread-safe).
 */
public final class PushMetrics {
  private final MeterRegistry registry;
  private final AtomicInteger sockets = new AtomicInteger();
  private final Counter framesOut;

  public PushMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("parley.push.sockets", sockets, AtomicInteger::get)
        .description("WebSocket connections open on this node").register(registry);
    this.framesOut = Counter.builder("parley.push.frames.out").description("frames written to WebSockets")
        .register(registry);
  }

  void opened() {
    sockets.incrementAndGet();
  }

  void closed(String reason) {
    sockets.decrementAndGet();
    registry.counter("parley.push.closes", "reason", reason).increment();
  }

  void frameOut() {
    framesOut.increment();
  }

  void resumed(String outcome) {
    registry.counter("parley.push.resumes", "outcome", outcome).increment();
  }

  void reset(String cause) {
    registry.counter("parley.push.resets", "cause", cause).increment();
  }

  public int sockets() {
    return sockets.get();
  }
}

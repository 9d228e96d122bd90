package dev.parley.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code parley_webhook_seconds{provider,outcome}}: count and latency of webhook requests, from the first byte
 * read to the answer. Provider names outside the known set are reported as {@code unknown}, so a scan of random
 * URLs cannot blow up the number of series.
 */
public final class WebhookMetrics {
  private final MeterRegistry registry;
  private final Set<String> providers;
  /** One timer per provider and outcome, built once: no meter lookup on the request path. */
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  public WebhookMetrics(MeterRegistry registry, Set<String> providers) {
    this.registry = registry;
    this.providers = providers;
  }

  public void record(String provider, String outcome, long startNanos) {
    String known = providers.contains(provider) ? provider : "unknown";
    timers.computeIfAbsent(known + '|' + outcome, key -> Timer.builder("parley.webhook")
            .description("Webhook requests by provider and outcome")
            .tag("provider", known)
            .tag("outcome", outcome)
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry))
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}

package dev.parley.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code parley_webhook_seconds{provider,outcome}}: count and latency of webhook requests, from the first byte
 * read to the answer. Provider names outside the known set are reported as {@code unknown}, so a scan of random
 * URLs cannot blow up the number of series.
 */
public final class WebhookMetrics {
  private final MeterRegistry registry;
  private final Set<String> providers;

  public WebhookMetrics(MeterRegistry registry, Set<String> providers) {
    this.registry = registry;
    this.providers = providers;
  }

  public void record(String provider, String outcome, long startNanos) {
    Timer.builder("parley.webhook")
        .description("Webhook requests by provider and outcome")
        .tag("provider", providers.contains(provider) ? provider : "unknown")
        .tag("outcome", outcome)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry)
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }
}

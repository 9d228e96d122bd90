package dev.parley.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.impl.types.ErrorType;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis client every part of Parley uses: each call is bounded by {@code redis.timeout}, through a circuit
 * breaker (Vert.x's). A call that times out or loses its connection opens the circuit: from then on calls fail at
 * once (with a {@link VertxException}, which the API answers as 503) instead of queueing behind a stalled server,
 * webhooks are refused with 503 before they touch PostgreSQL ({@link #available()}), and list reads fall back to
 * PostgreSQL's values. Every second a {@code PING} probes the server; when it answers in time the circuit closes
 * and everything resumes by itself. Redis error replies (a script error, a wrong type) are answers, not outages:
 * they fail the call but never open the circuit.
 *
 * <p>Metrics: {@code parley_redis_available} (1 or 0) and {@code parley_redis_failures_total{reason}} with reason
 * {@code timeout}, {@code connection} or {@code refused} (failed at once while the circuit was open).
 */
public final class BoundedRedis implements Redis {
  private static final Logger log = LoggerFactory.getLogger(BoundedRedis.class);
  private static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

  private final Redis redis;
  private final CircuitBreaker breaker;
  private final Duration timeout;
  private final Counter timeouts;
  private final Counter connectionFailures;
  private final Counter refused;
  private volatile long openedAt;

  public BoundedRedis(Vertx vertx, Redis redis, Duration timeout, MeterRegistry registry) {
    this.redis = redis;
    this.timeout = timeout;
    this.breaker = CircuitBreaker.create("redis", vertx, new CircuitBreakerOptions()
        .setTimeout(timeout.toMillis())
        .setMaxFailures(1)
        .setResetTimeout(PROBE_INTERVAL.toMillis())
        .setFallbackOnFailure(false));
    breaker.failurePolicy(result -> result.failed() && !(result.cause() instanceof ErrorType));
    breaker.openHandler(v -> {
      if (openedAt == 0) {
        openedAt = System.nanoTime();
        log.warn("Redis did not answer within {} ms; webhooks get 503 and reads use PostgreSQL until it answers again",
            timeout.toMillis());
      }
    });
    // half open: one PING decides, so recovery does not wait for traffic
    breaker.halfOpenHandler(v -> breaker.execute(() -> redis.send(Request.cmd(Command.PING))));
    breaker.closeHandler(v -> {
      if (openedAt != 0) {
        log.info("Redis answers again after {} ms", (System.nanoTime() - openedAt) / 1_000_000);
        openedAt = 0;
      }
    });
    this.timeouts = failures(registry, "timeout");
    this.connectionFailures = failures(registry, "connection");
    this.refused = failures(registry, "refused");
    Gauge.builder("parley.redis.available", this, bounded -> bounded.available() ? 1 : 0)
        .description("1 while Redis answers within redis.timeout, 0 while the circuit is open")
        .register(registry);
  }

  private static Counter failures(MeterRegistry registry, String reason) {
    return Counter.builder("parley.redis.failures")
        .description("Redis calls that failed: timed out, lost their connection, or refused while Redis was unavailable")
        .tag("reason", reason)
        .register(registry);
  }

  /** Whether Redis answered the last call in time (the circuit is closed). */
  public boolean available() {
    return breaker.state() == CircuitBreakerState.CLOSED;
  }

  @Override
  public Future<RedisConnection> connect() {
    return bounded(redis::connect);
  }

  @Override
  public Future<Void> close() {
    breaker.close();
    return redis.close();
  }

  @Override
  public Future<Response> send(Request command) {
    return bounded(() -> redis.send(command));
  }

  @Override
  public Future<List<Response>> batch(List<Request> commands) {
    return bounded(() -> redis.batch(commands));
  }

  private <T> Future<T> bounded(Supplier<Future<T>> call) {
    return breaker.<T>execute(call).recover(failure -> {
      if (failure instanceof ErrorType) {
        return Future.failedFuture(failure);
      }
      if (failure instanceof OpenCircuitException) {
        refused.increment();
      } else if (failure instanceof io.vertx.circuitbreaker.TimeoutException) {
        timeouts.increment();
      } else {
        connectionFailures.increment();
      }
      return Future.failedFuture(new VertxException("Redis unavailable: " + failure.getMessage(), true));
    });
  }
}

package dev.parley.simulator;

/**
 * A token bucket: starts full with {@code capacity} tokens and refills continuously at {@code refillPerSecond}.
 * Not thread-safe: its owner ({@link NumberState}) guards it.
 */
final class TokenBucket {
  private final double capacity;
  private final double refillPerNano;
  private double tokens;
  private long updatedNanos;

  TokenBucket(double capacity, double refillPerSecond, long nowNanos) {
    this.capacity = capacity;
    this.refillPerNano = refillPerSecond / 1e9;
    this.tokens = capacity;
    this.updatedNanos = nowNanos;
  }

  /** Whether a token is there now (refilling first); takes nothing. */
  boolean available(long nowNanos) {
    refill(nowNanos);
    return tokens >= 1;
  }

  /** Takes one token; call only after {@link #available} answered true. */
  void take() {
    tokens -= 1;
  }

  /** Whether the bucket is full again (then it can be forgotten). */
  boolean full(long nowNanos) {
    refill(nowNanos);
    return tokens >= capacity;
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - updatedNanos;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * refillPerNano);
      updatedNanos = nowNanos;
    }
  }
}

package dev.parley.store;

import java.util.UUID;

/** Every Redis key Parley uses, under one configurable prefix (tests get a fresh prefix each). */
public final class RedisKeys {
  private final String prefix;

  public RedisKeys(String prefix) {
    this.prefix = prefix;
  }

  /** Hash per organization: conversation id → {@code version:unread:windowExpiryMillis}. */
  public String conversationState(UUID organizationId) {
    return prefix + "conv:" + organizationId;
  }

  /** Sorted set of window timers: member {@code closing:<conversation id>} or {@code closed:<id>}, score = due millis. */
  public String windowTimers() {
    return prefix + "window-timers";
  }

  /** Present while the derived state is complete; its absence (Redis lost its data) triggers a rebuild. */
  public String stateBuilt() {
    return prefix + "state-built";
  }
}

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

  /** Counter of failed sign-ins for one e-mail address ({@code email:<sha-256>}) or client address ({@code ip:<addr>}). */
  public String loginFailures(String subject) {
    return prefix + "login-fail:" + subject;
  }

  /** The organization's last event sequence number. */
  public String eventSeq(UUID organizationId) {
    return prefix + "events:" + organizationId + ":seq";
  }

  /** Sorted set of the organization's recent event frames, scored by sequence number (the resume log). */
  public String eventLog(UUID organizationId) {
    return prefix + "events:" + organizationId + ":log";
  }

  /** Sorted set: member = sequence number, score = append time in millis (trims the log by age). */
  public String eventTimes(UUID organizationId) {
    return prefix + "events:" + organizationId + ":times";
  }

  /** The token bucket pacing one sending number (a channel). */
  public String sendingNumber(UUID channelId) {
    return prefix + "pace:{" + channelId + "}";
  }

  /** The token bucket pacing one number's messages to one recipient. */
  public String sendingRecipient(UUID channelId, String recipient) {
    return prefix + "pace:{" + channelId + "}:" + recipient;
  }
}

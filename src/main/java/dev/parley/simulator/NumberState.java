package dev.parley.simulator;

import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Everything the simulator keeps about one registered number: its rate-limit buckets, which customers wrote
 * when (their 24-hour windows), the one-shot faults queued for it, and its statistics. Thread-safe: the Graph
 * routes use it on the simulator's event loop while tests read and change it from their own threads.
 */
final class NumberState {
  /** How a send fares against the number's limits. */
  enum Admission { ACCEPTED, RATE_LIMITED, PAIR_RATE_LIMITED }

  private static final long SECOND = 1_000_000_000L;
  private static final int PAIR_BUCKETS_BEFORE_CLEANUP = 10_000;

  final SimulatedNumber number;
  private TokenBucket throughput;
  private final Map<String, TokenBucket> pairs = new HashMap<>();
  private final Map<String, Long> lastInboundMillis = new HashMap<>();
  private final Map<String, String> profileNames = new HashMap<>();
  private final Map<String, String[]> conversations = new HashMap<>();
  private final ArrayDeque<Integer> failNext = new ArrayDeque<>();
  private int hangNext;

  private final List<AcceptedMessage> messages = new ArrayList<>();
  private final ArrayDeque<Long> lastSecond = new ArrayDeque<>();
  private final List<String> markedRead = new ArrayList<>();
  private long accepted;
  private long rateLimited;
  private long pairRateLimited;
  private int maxPerSecond;
  private long webhooksDelivered;
  private long statusesDelivered;
  private long webhookFailures;
  private long webhooksDropped;

  NumberState(SimulatedNumber number, long nowNanos) {
    this.number = number;
    this.throughput = new TokenBucket(number.throughput(), number.throughput(), nowNanos);
  }

  /** Takes a token from the number's bucket and from the (number, recipient) bucket, or from neither. */
  synchronized Admission admit(String waId, long nowNanos, SimulatorOptions options) {
    if (!throughput.available(nowNanos)) {
      rateLimited++;
      return Admission.RATE_LIMITED;
    }
    if (pairs.size() > PAIR_BUCKETS_BEFORE_CLEANUP) {
      pairs.values().removeIf(bucket -> bucket.full(nowNanos));
    }
    TokenBucket pair = pairs.computeIfAbsent(waId, id -> new TokenBucket(options.pairBurst(),
        (double) SECOND / options.pairInterval().toNanos(), nowNanos));
    if (!pair.available(nowNanos)) {
      pairRateLimited++;
      return Admission.PAIR_RATE_LIMITED;
    }
    throughput.take();
    pair.take();
    return Admission.ACCEPTED;
  }

  /** Counts an accepted send and keeps it (up to {@code maxRecorded}); tracks the busiest second. */
  synchronized void recordAccepted(AcceptedMessage message, long nowNanos, int maxRecorded) {
    accepted++;
    if (messages.size() < maxRecorded) {
      messages.add(message);
    }
    while (!lastSecond.isEmpty() && lastSecond.peekFirst() <= nowNanos - SECOND) {
      lastSecond.pollFirst();
    }
    lastSecond.addLast(nowNanos);
    maxPerSecond = Math.max(maxPerSecond, lastSecond.size());
  }

  synchronized void failNext(int code, int times) {
    for (int i = 0; i < times; i++) {
      failNext.addLast(code);
    }
  }

  synchronized void hangNext(int times) {
    hangNext += times;
  }

  /** The error code the next send must fail with, or null. */
  synchronized Integer takeFailure() {
    return failNext.pollFirst();
  }

  /** Whether the send just accepted must never be answered. */
  synchronized boolean takeHang() {
    if (hangNext == 0) {
      return false;
    }
    hangNext--;
    return true;
  }

  /** A customer message: opens (or extends) the customer's 24-hour window at the simulator. */
  synchronized void customerWrote(String waId, String profileName, long atMillis) {
    lastInboundMillis.put(waId, atMillis);
    if (profileName != null) {
      profileNames.put(waId, profileName);
    }
  }

  synchronized boolean inWindow(String waId, long nowMillis, long windowMillis) {
    Long last = lastInboundMillis.get(waId);
    return last != null && nowMillis - last < windowMillis;
  }

  /** The name the customer last wrote with, or null. */
  synchronized String profileName(String waId) {
    return profileNames.get(waId);
  }

  /**
   * The {@code conversation} object of a {@code sent} status: the same id for 24 hours per recipient, like Meta's
   * conversation-based pricing.
   */
  synchronized JsonObject conversation(String waId, String originType, long nowSeconds) {
    String[] current = conversations.get(waId);
    if (current == null || Long.parseLong(current[1]) <= nowSeconds) {
      byte[] id = new byte[16];
      ThreadLocalRandom.current().nextBytes(id);
      current = new String[] {HexFormat.of().formatHex(id), Long.toString(nowSeconds + 24 * 3600)};
      conversations.put(waId, current);
    }
    return new JsonObject()
        .put("id", current[0])
        .put("expiration_timestamp", current[1])
        .put("origin", new JsonObject().put("type", originType));
  }

  synchronized void markedRead(String messageId) {
    markedRead.add(messageId);
  }

  synchronized void webhookDelivered(int statuses) {
    webhooksDelivered++;
    statusesDelivered += statuses;
  }

  synchronized void webhookFailed() {
    webhookFailures++;
  }

  synchronized void webhookDropped() {
    webhooksDropped++;
  }

  synchronized NumberStats stats() {
    return new NumberStats(number.phoneNumberId(), accepted, rateLimited, pairRateLimited, maxPerSecond,
        List.copyOf(messages), List.copyOf(markedRead), webhooksDelivered, statusesDelivered, webhookFailures,
        webhooksDropped);
  }

  /** Forgets statistics, queued faults, rate-limit buckets and customer windows; keeps the number. */
  synchronized void reset(long nowNanos) {
    throughput = new TokenBucket(number.throughput(), number.throughput(), nowNanos);
    pairs.clear();
    lastInboundMillis.clear();
    conversations.clear();
    failNext.clear();
    hangNext = 0;
    messages.clear();
    lastSecond.clear();
    markedRead.clear();
    accepted = rateLimited = pairRateLimited = 0;
    maxPerSecond = 0;
    webhooksDelivered = statusesDelivered = webhookFailures = webhooksDropped = 0;
  }
}

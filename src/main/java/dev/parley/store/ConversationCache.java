package dev.parley.store;

import dev.parley.store.ConversationStore.ConversationRow;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The Redis copy of each conversation's unread count and window expiry, and the window timers. Derived from
 * PostgreSQL: every write carries the row's version and an older version never overwrites a newer one, so
 * concurrent committers may write in any order. Everything here can be rebuilt with {@link #put}.
 */
public final class ConversationCache {
  // KEYS[1] hash; ARGV[1] field, ARGV[2] version, ARGV[3] value. Writes only if ARGV[2] is newer.
  private static final String SET_IF_NEWER = """
      local current = redis.call('HGET', KEYS[1], ARGV[1])
      if current then
        local version = tonumber(string.match(current, '^(%d+):'))
        if version and version >= tonumber(ARGV[2]) then return 0 end
      end
      redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
      return 1
      """;
  // KEYS[1] timers; ARGV[1] now millis, ARGV[2] max. Pops due members atomically, so one node gets each.
  private static final String POP_DUE = """
      local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
      if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
      return due
      """;

  /** What Redis holds for one conversation. */
  public record CachedState(long version, int unreadCount, Instant windowExpiresAt) {}

  /** A window timer: {@code closing} (lead before expiry) or {@code closed} (at expiry). */
  public record WindowTimer(boolean closing, UUID conversationId) {
    String member() {
      return (closing ? "closing:" : "closed:") + conversationId;
    }

    static WindowTimer parse(String member) {
      int colon = member.indexOf(':');
      return new WindowTimer(member.startsWith("closing"), UUID.fromString(member.substring(colon + 1)));
    }
  }

  private final Redis redis;
  private final RedisKeys keys;
  private final Duration closingLead;

  public ConversationCache(Redis redis, RedisKeys keys, Duration closingLead) {
    this.redis = redis;
    this.keys = keys;
    this.closingLead = closingLead;
  }

  /** Writes the rows' state and schedules their unfired window timers, in one pipeline. */
  public Future<Void> put(List<ConversationRow> rows) {
    List<Request> batch = putRequests(rows);
    return batch.isEmpty() ? Future.succeededFuture() : redis.batch(batch).mapEmpty();
  }

  /** The requests of {@link #put}, to send in a pipeline with others. */
  public List<Request> putRequests(List<ConversationRow> rows) {
    List<Request> batch = new ArrayList<>(rows.size() * 2);
    for (ConversationRow row : rows) {
      Instant expiry = row.windowExpiresAt();
      batch.add(Request.cmd(Command.EVAL).arg(SET_IF_NEWER).arg(1).arg(keys.conversationState(row.organizationId()))
          .arg(row.id().toString()).arg(row.version())
          .arg(row.unreadCount() + ":" + (expiry == null ? "" : expiry.toEpochMilli())));
      if (expiry != null && !expiry.equals(row.windowClosingFired())) {
        batch.add(schedule(new WindowTimer(true, row.id()), expiry.minus(closingLead)));
      }
      if (expiry != null && !expiry.equals(row.windowClosedFired())) {
        batch.add(schedule(new WindowTimer(false, row.id()), expiry));
      }
    }
    return batch;
  }

  /** The cached state of the given conversations; conversations Redis does not hold are absent from the map. */
  public Future<Map<UUID, CachedState>> get(UUID organizationId, List<UUID> conversationIds) {
    if (conversationIds.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Request hmget = Request.cmd(Command.HMGET).arg(keys.conversationState(organizationId));
    conversationIds.forEach(id -> hmget.arg(id.toString()));
    return redis.send(hmget).map(response -> {
      Map<UUID, CachedState> states = new HashMap<>();
      for (int i = 0; i < conversationIds.size(); i++) {
        Response value = response.get(i);
        if (value != null) {
          states.put(conversationIds.get(i), parse(value.toString()));
        }
      }
      return states;
    });
  }

  /** Schedules a timer; a later due time replaces an earlier one, never the other way round (ZADD GT). */
  public Future<Void> schedule(List<WindowTimer> timers, List<Instant> dueTimes) {
    List<Request> batch = new ArrayList<>(timers.size());
    for (int i = 0; i < timers.size(); i++) {
      batch.add(schedule(timers.get(i), dueTimes.get(i)));
    }
    return batch.isEmpty() ? Future.succeededFuture() : redis.batch(batch).mapEmpty();
  }

  private Request schedule(WindowTimer timer, Instant due) {
    return Request.cmd(Command.ZADD).arg(keys.windowTimers()).arg("GT").arg(due.toEpochMilli()).arg(timer.member());
  }

  /** Removes and returns up to {@code max} timers due at {@code now}; each is returned to exactly one caller. */
  public Future<List<WindowTimer>> popDue(Instant now, int max) {
    return redis.send(Request.cmd(Command.EVAL).arg(POP_DUE).arg(1).arg(keys.windowTimers())
            .arg(now.toEpochMilli()).arg(max))
        .map(response -> {
          List<WindowTimer> due = new ArrayList<>(response.size());
          response.forEach(member -> due.add(WindowTimer.parse(member.toString())));
          return due;
        });
  }

  public Future<Boolean> isBuilt() {
    return redis.send(Request.cmd(Command.EXISTS).arg(keys.stateBuilt())).map(r -> r.toInteger() == 1);
  }

  public Future<Void> markBuilt() {
    return redis.send(Request.cmd(Command.SET).arg(keys.stateBuilt()).arg(Instant.now().toString())).mapEmpty();
  }

  static CachedState parse(String value) {
    String[] parts = value.split(":", -1);
    return new CachedState(Long.parseLong(parts[0]), Integer.parseInt(parts[1]),
        parts[2].isEmpty() ? null : Instant.ofEpochMilli(Long.parseLong(parts[2])));
  }
}

package dev.parley.push;

import dev.parley.config.ParleyConfig;
import dev.parley.store.RedisKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Each organization's event sequence and resume log, in Redis. Appending assigns the next sequence numbers
 * and stores the finished WebSocket frames in one atomic script, so the log always holds every number up to
 * the current one (minus what was trimmed): anyone who sees number N can read everything before it.
 *
 * <p>Numbers start, for a new organization or after Redis lost its data, at the current time in milliseconds
 * times 1000: always above any number issued before (so clients holding an old number get a {@code reset},
 * never a wrong replay) and exactly representable in a JavaScript number. The log is trimmed by count and
 * by age; a number older than the log gets a reset.
 */
public final class EventLog {
  static final String FRAME_HEAD = "{\"type\":\"event\",\"seq\":";

  // KEYS[1] seq, KEYS[2] log, KEYS[3] times; ARGV[1] now millis, ARGV[2] max events, ARGV[3] max age millis,
  // ARGV[4..] frame tails ("event":...,"data":...}). Returns the first sequence number assigned.
  private static final String APPEND = """
      local now = tonumber(ARGV[1])
      if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], string.format('%d', now * 1000)) end
      local count = #ARGV - 3
      local first = redis.call('INCRBY', KEYS[1], count) - count + 1
      for i = 1, count do
        local seq = string.format('%d', first + i - 1)
        redis.call('ZADD', KEYS[2], seq, '{"type":"event","seq":' .. seq .. ',' .. ARGV[i + 3])
      end
      redis.call('ZADD', KEYS[3], ARGV[1], string.format('%d', first + count - 1))
      local max = tonumber(ARGV[2])
      local excess = redis.call('ZCARD', KEYS[2]) - max
      if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1) end
      excess = redis.call('ZCARD', KEYS[3]) - max
      if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1) end
      local cutoff = string.format('%d', now - tonumber(ARGV[3]))
      local old = redis.call('ZREVRANGEBYSCORE', KEYS[3], cutoff, '-inf', 'LIMIT', 0, 1)
      if #old > 0 then
        redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', old[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', cutoff)
      end
      redis.call('PEXPIRE', KEYS[2], ARGV[3])
      redis.call('PEXPIRE', KEYS[3], ARGV[3])
      return first
      """;

  // KEYS[1] seq, KEYS[2] log; ARGV[1] since, ARGV[2] now millis.
  // Returns {1, current, frames...} to replay, or {0, current} when `since` cannot be served (reset).
  private static final String SINCE = """
      if redis.call('EXISTS', KEYS[1]) == 0 then
        redis.call('SET', KEYS[1], string.format('%d', tonumber(ARGV[2]) * 1000))
      end
      local current = redis.call('GET', KEYS[1])
      local since = tonumber(ARGV[1])
      local cur = tonumber(current)
      if since > cur then return {0, current} end
      if since == cur then return {1, current} end
      local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
      if #first == 0 or tonumber(first[2]) > since + 1 then return {0, current} end
      local frames = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf')
      local out = {1, current}
      for i = 1, #frames do out[i + 2] = frames[i] end
      return out
      """;

  /** The answer to "what came after N": the frames in order, or a reset to {@code current}. */
  public record Replay(boolean reset, long current, List<String> frames) {}

  private final Redis redis;
  private final RedisKeys keys;
  private final ParleyConfig.Push config;

  public EventLog(Redis redis, RedisKeys keys, ParleyConfig.Push config) {
    this.redis = redis;
    this.keys = keys;
    this.config = config;
  }

  /** The request that appends one organization's events (run several in one pipeline). */
  Request append(UUID organizationId, List<String> tails, long nowMillis) {
    Request eval = Request.cmd(Command.EVAL).arg(APPEND).arg(3)
        .arg(keys.eventSeq(organizationId)).arg(keys.eventLog(organizationId)).arg(keys.eventTimes(organizationId))
        .arg(nowMillis).arg(config.logMaxEvents()).arg(config.logMaxAge().toMillis());
    tails.forEach(eval::arg);
    return eval;
  }

  Future<List<Response>> run(List<Request> requests) {
    return redis.batch(requests);
  }

  /** Everything after {@code since}, or a reset when the log no longer reaches back that far. */
  public Future<Replay> since(UUID organizationId, long since) {
    return redis.send(Request.cmd(Command.EVAL).arg(SINCE).arg(2)
            .arg(keys.eventSeq(organizationId)).arg(keys.eventLog(organizationId))
            .arg(since).arg(System.currentTimeMillis()))
        .map(response -> {
          long current = response.get(1).toLong();
          if (response.get(0).toInteger() == 0) {
            return new Replay(true, current, List.of());
          }
          List<String> frames = new ArrayList<>(response.size() - 2);
          for (int i = 2; i < response.size(); i++) {
            frames.add(response.get(i).toString());
          }
          return new Replay(false, current, frames);
        });
  }

  /** The organization's current sequence number (starting its sequence if it has none). */
  public Future<Long> current(UUID organizationId) {
    // asking for what follows a number beyond any issued answers a reset carrying the current number
    return since(organizationId, Long.MAX_VALUE / 2).map(Replay::current);
  }

  /** {@code "event":"<type>","data":<data>}}: the part of a frame that does not depend on its number. */
  static String tail(String type, JsonObject data) {
    // event names are Parley's own constants (lower-case words and dots): nothing to escape
    return "\"event\":\"" + type + "\",\"data\":" + data.encode() + "}";
  }

  static String frame(long seq, String tail) {
    return FRAME_HEAD + seq + "," + tail;
  }

  /** The sequence number of a frame built by {@link #frame}. */
  static long seqOf(String frame) {
    int start = FRAME_HEAD.length();
    int end = frame.indexOf(',', start);
    return Long.parseLong(frame, start, end, 10);
  }
}

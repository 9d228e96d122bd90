package dev.parley.dispatch;

import dev.parley.config.ParleyConfig;
import dev.parley.store.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.UUID;

/**
 * Provider pacing that holds across nodes: two token buckets in Redis, one per sending number and one per
 * (number, recipient), taken together in one Lua script on Redis's clock, so either both give a token or
 * neither does. The number's bucket refills at 90 % of its rate with a burst of 5 %: whatever the network
 * jitter, no one-second window at the provider sees more than the rate (WhatsApp answers 130429 beyond it). The
 * recipient's bucket follows WhatsApp's pair limit (a burst, then one message every 6 s; 131056 beyond it).
 */
public final class Pacer {
  // KEYS: number bucket, recipient bucket. ARGV: number rate/ms, number burst, recipient rate/ms, recipient burst,
  // ttl ms. Answers 0 when both tokens were taken, otherwise the milliseconds until both will be there.
  private static final String SCRIPT = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local function level(key, rate, burst)
        local b = redis.call('HMGET', key, 'tokens', 'at')
        local tokens = tonumber(b[1]) or burst
        local at = tonumber(b[2]) or now
        return math.min(burst, tokens + math.max(0, now - at) * rate)
      end
      local nrate, nburst = tonumber(ARGV[1]), tonumber(ARGV[2])
      local rrate, rburst = tonumber(ARGV[3]), tonumber(ARGV[4])
      local n = level(KEYS[1], nrate, nburst)
      local r = level(KEYS[2], rrate, rburst)
      if n >= 1 and r >= 1 then
        redis.call('HSET', KEYS[1], 'tokens', tostring(n - 1), 'at', now)
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        redis.call('HSET', KEYS[2], 'tokens', tostring(r - 1), 'at', now)
        redis.call('PEXPIRE', KEYS[2], ARGV[5])
        return 0
      end
      local wait = 0
      if n < 1 then wait = math.max(wait, math.ceil((1 - n) / nrate)) end
      if r < 1 then wait = math.max(wait, math.ceil((1 - r) / rrate)) end
      return math.max(1, wait)
      """;

  private final Redis redis;
  private final RedisKeys keys;
  private final String numberRate;
  private final String numberBurst;
  private final String recipientRate;
  private final String recipientBurst;
  private final String ttl;

  public Pacer(Redis redis, RedisKeys keys, ParleyConfig.Dispatch config) {
    this.redis = redis;
    this.keys = keys;
    int rate = config.ratePerNumber();
    this.numberRate = Double.toString(rate * 0.9 / 1000.0);
    this.numberBurst = Integer.toString(Math.max(1, rate / 20));
    long interval = config.recipientInterval().toMillis();
    this.recipientRate = Double.toString(1.0 / interval);
    this.recipientBurst = Integer.toString(config.recipientBurst());
    this.ttl = Long.toString(Math.max(60_000, interval * config.recipientBurst() * 2));
  }

  /** Takes a token for one message from {@code channelId} to {@code recipient}: 0, or how long to wait (ms). */
  public Future<Long> take(UUID channelId, String recipient) {
    return redis.send(Request.cmd(Command.EVAL).arg(SCRIPT).arg(2)
            .arg(keys.sendingNumber(channelId)).arg(keys.sendingRecipient(channelId, recipient))
            .arg(numberRate).arg(numberBurst).arg(recipientRate).arg(recipientBurst).arg(ttl))
        .map(response -> response.toLong());
  }
}

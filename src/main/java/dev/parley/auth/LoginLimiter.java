package dev.parley.auth;

import dev.parley.config.ParleyConfig;
import dev.parley.store.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits failed sign-ins in fixed windows kept in Redis, per e-mail address (so one account cannot be
 * guessed at) and per client address (so one client cannot spray many accounts). A success clears the
 * address's e-mail counter. When Redis is unreachable sign-in still works, unlimited, and a warning is logged:
 * the passwords' slow hash remains the defence.
 */
public final class LoginLimiter {
  private static final Logger log = LoggerFactory.getLogger(LoginLimiter.class);
  // KEYS: counters; ARGV[1] window millis. Counts one failure on each; the first failure starts the window.
  private static final String FAIL = """
      for _, key in ipairs(KEYS) do
        if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[1]) end
      end
      return 1
      """;

  /** Whether another attempt may be made now, and if not, for how long to wait. */
  public record Verdict(boolean allowed, Duration retryAfter) {}

  private final Redis redis;
  private final RedisKeys keys;
  private final ParleyConfig.Auth config;

  public LoginLimiter(Redis redis, RedisKeys keys, ParleyConfig.Auth config) {
    this.redis = redis;
    this.keys = keys;
    this.config = config;
  }

  public Future<Verdict> check(String email, String clientAddress) {
    String byEmail = emailKey(email);
    String byAddress = addressKey(clientAddress);
    var batch = List.of(
        Request.cmd(Command.GET).arg(byEmail), Request.cmd(Command.PTTL).arg(byEmail),
        Request.cmd(Command.GET).arg(byAddress), Request.cmd(Command.PTTL).arg(byAddress));
    return redis.batch(batch).map(r -> {
      if (count(r.get(0)) >= config.loginMaxFailures()) {
        return new Verdict(false, Duration.ofMillis(Math.max(1000, r.get(1).toLong())));
      }
      if (count(r.get(2)) >= config.loginMaxFailuresPerAddress()) {
        return new Verdict(false, Duration.ofMillis(Math.max(1000, r.get(3).toLong())));
      }
      return new Verdict(true, Duration.ZERO);
    }).recover(failure -> {
      log.warn("sign-in limits unavailable ({}); allowing the attempt", failure.toString());
      return Future.succeededFuture(new Verdict(true, Duration.ZERO));
    });
  }

  public Future<Void> failed(String email, String clientAddress) {
    return redis.send(Request.cmd(Command.EVAL).arg(FAIL).arg(2).arg(emailKey(email)).arg(addressKey(clientAddress))
            .arg(config.loginFailureWindow().toMillis()))
        .<Void>mapEmpty()
        .recover(failure -> Future.succeededFuture());
  }

  public Future<Void> succeeded(String email) {
    return redis.send(Request.cmd(Command.DEL).arg(emailKey(email))).<Void>mapEmpty()
        .recover(failure -> Future.succeededFuture());
  }

  private static long count(Response value) {
    return value == null ? 0 : value.toLong();
  }

  private String emailKey(String email) {
    // hashed: the key space should not be a list of the addresses people tried
    return keys.loginFailures("email:" + sha256(email.trim().toLowerCase(Locale.ROOT)));
  }

  private String addressKey(String clientAddress) {
    return keys.loginFailures("ip:" + clientAddress);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.parley.channel;

import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels' health times ({@code last_inbound_at}, {@code last_send_at}), recorded after each commit from any
 * event loop and written to PostgreSQL at most once per {@link #INTERVAL} per channel, in one statement per kind.
 * Writing them inside every webhook's transaction made all webhooks of one number queue behind one row lock; the
 * price is that health may lag by a second, and a crash loses at most that second of it (never a message).
 */
public final class ChannelActivity extends VerticleBase {
  public static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final Logger log = LoggerFactory.getLogger(ChannelActivity.class);

  private final Pool pool;
  private final Map<UUID, Instant> inbound = new ConcurrentHashMap<>();
  private final Map<UUID, Instant> sent = new ConcurrentHashMap<>();
  private long timer = -1;

  public ChannelActivity(Pool pool) {
    this.pool = pool;
  }

  /** A webhook of the channel was committed at {@code at}. Thread-safe. */
  public void inbound(UUID channel, Instant at) {
    inbound.merge(channel, at, ChannelActivity::later);
  }

  /** The provider accepted a message of the channel at {@code at}. Thread-safe. */
  public void sent(UUID channel, Instant at) {
    sent.merge(channel, at, ChannelActivity::later);
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(INTERVAL.toMillis(), id -> flush());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return flush();
  }

  /** Writes what was recorded since the last flush. */
  Future<Void> flush() {
    return Future.all(write(inbound, ChannelStore::touchInbound), write(sent, ChannelStore::touchSend)).mapEmpty();
  }

  private interface Touch {
    Future<Void> apply(Pool pool, UUID[] channels, OffsetDateTime[] at);
  }

  private Future<Void> write(Map<UUID, Instant> recorded, Touch touch) {
    if (recorded.isEmpty()) {
      return Future.succeededFuture();
    }
    List<UUID> channels = new ArrayList<>();
    List<OffsetDateTime> times = new ArrayList<>();
    for (UUID channel : List.copyOf(recorded.keySet())) {
      Instant at = recorded.remove(channel); // a time recorded meanwhile stays for the next flush
      if (at != null) {
        channels.add(channel);
        times.add(at.atOffset(ZoneOffset.UTC));
      }
    }
    return touch.apply(pool, channels.toArray(UUID[]::new), times.toArray(OffsetDateTime[]::new))
        .onFailure(failure -> {
          log.warn("recording the activity of {} channel(s) failed: {}", channels.size(), failure.toString());
          for (int i = 0; i < channels.size(); i++) { // back for the next flush
            recorded.merge(channels.get(i), times.get(i).toInstant(), ChannelActivity::later);
          }
        })
        .recover(failure -> Future.succeededFuture());
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}

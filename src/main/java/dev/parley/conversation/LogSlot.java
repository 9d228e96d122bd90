package dev.parley.conversation;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Tuple;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's inbound-log slot: a small number held by a PostgreSQL session advisory lock on a connection of its own
 * for the node's lifetime. The node's log rows and projection positions carry it, so nodes sharing a database never
 * move each other's positions. When a node dies its connection closes and PostgreSQL frees the lock at once: a
 * restarted node takes the slot again (the lowest free one), or a running node adopts it ({@link #tryHold}) and
 * projects what the dead node left.
 */
public final class LogSlot {
  private static final Logger log = LoggerFactory.getLogger(LogSlot.class);
  /** The advisory-lock namespace (first key) of log slots. */
  private static final int NAMESPACE = 0x50_4C_53; // "PLS"
  private static final int MAX_SLOTS = 1_000;

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final AtomicReference<PgConnection> connection = new AtomicReference<>();
  private volatile int slot = -1;
  private volatile boolean closed;

  private LogSlot(Vertx vertx, PgConnectOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  /** Connects and takes the lowest free slot. */
  public static Future<LogSlot> claim(Vertx vertx, String url) {
    var holder = new LogSlot(vertx, PgConnectOptions.fromUri(url).setReconnectAttempts(0));
    return holder.connect().compose(c -> holder.lowestFree(c, 0)).map(taken -> {
      holder.slot = taken;
      log.info("inbound log slot {}", taken);
      return holder;
    });
  }

  public int slot() {
    return slot;
  }

  private Future<PgConnection> connect() {
    return PgConnection.connect(vertx, options).map(c -> {
      connection.set(c);
      c.closeHandler(v -> lost());
      return c;
    });
  }

  private Future<Integer> lowestFree(PgConnection c, int candidate) {
    if (candidate >= MAX_SLOTS) {
      return Future.failedFuture("no free inbound log slot among " + MAX_SLOTS);
    }
    return tryLock(c, candidate).compose(held -> held ? Future.succeededFuture(candidate) : lowestFree(c, candidate + 1));
  }

  private static Future<Boolean> tryLock(PgConnection c, int slot) {
    return c.preparedQuery("SELECT pg_try_advisory_lock($1, $2) AS held").execute(Tuple.of(NAMESPACE, slot))
        .map(rows -> rows.iterator().next().getBoolean("held"));
  }

  /**
   * The connection was lost (PostgreSQL restarted): the lock went with it. Reconnects and takes the same slot again;
   * until then another node may adopt it, which is safe (applying an entry twice changes nothing).
   */
  private void lost() {
    if (closed) {
      return;
    }
    connection.set(null);
    log.warn("lost the connection holding inbound log slot {}; taking it again", slot);
    vertx.setTimer(500, id -> connect().onComplete(connected -> {
      if (connected.failed()) {
        lost(); // PostgreSQL still down
        return;
      }
      PgConnection c = connected.result();
      tryLock(c, slot).onComplete(held -> {
        if (held.succeeded() && held.result()) {
          log.info("holding inbound log slot {} again", slot);
        } else {
          c.close(); // another node is finishing this slot's rows: try again (the close handler calls lost())
        }
      });
    }));
  }

  /** Takes {@code other} if no node holds it (its node died); true when taken. Release it with {@link #release}. */
  Future<Boolean> tryHold(int other) {
    PgConnection c = connection.get();
    return c == null ? Future.succeededFuture(false) : tryLock(c, other);
  }

  Future<Void> release(int other) {
    PgConnection c = connection.get();
    return c == null ? Future.succeededFuture()
        : c.preparedQuery("SELECT pg_advisory_unlock($1, $2)").execute(Tuple.of(NAMESPACE, other)).mapEmpty();
  }

  /** Frees the slot (the session ends). */
  public Future<Void> close() {
    closed = true;
    PgConnection c = connection.get();
    return c == null ? Future.succeededFuture() : c.close();
  }
}

package dev.parley.push;

import dev.parley.auth.Principal;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.UUID;

/**
 * One client connection, owned by one {@link PushShard} and touched only on that shard's thread (except
 * {@link #lastSeen}, written by the connection's own handlers, and the writes, which happen on {@link #home}).
 * Tracks the highest sequence number written, so that each numbered frame reaches the client once and in order
 * whatever mix of replay and live delivery produced it.
 */
final class PushSocket {
  enum State {
    /** Accepted; waiting for its organization's feed to learn the current sequence number. */
    NEW,
    /** Attached; live frames wait (up to the resume grace) for the client to say whether it resumes. */
    HOLD,
    /** Replaying from the log; live frames wait behind the replay. */
    REPLAYING,
    LIVE,
    CLOSED
  }

  record Frame(long seq, String text) {}

  /** Closes a socket with 1013 (try again later) on its shard's thread, for a reason and a metric. */
  interface Retry {
    void close(PushSocket socket, String reason, String metric);
  }

  /** Live frames held for one socket while it holds or replays; beyond this it is treated as a slow consumer. */
  static final int MAX_PENDING = 10_000;

  final ServerWebSocket ws;
  /** The context of the connection's event loop, where its writes happen. */
  final Context home;
  /** True when the connection's event loop is the shard's own: writes need no hand-over. */
  final boolean local;
  final Principal principal;
  State state = State.NEW;
  /** The client has sent a frame other than resume: it is not resuming, so nothing is held back. */
  boolean declared;
  /** The organization's sequence number when this socket attached (the number its ready frame carried). */
  long base;
  /** The highest sequence number written to this socket. */
  long sent;
  long holdUntil;
  ArrayDeque<Frame> pending;
  String view;
  UUID viewConversation;
  volatile long lastSeen;
  long lastPing;
  long typingWindow;
  int typingCount;
  private final PushMetrics metrics;
  private final Retry retry;

  PushSocket(ServerWebSocket ws, Context home, boolean local, Principal principal, long now, PushMetrics metrics,
      Retry retry) {
    this.ws = ws;
    this.home = home;
    this.local = local;
    this.principal = principal;
    this.lastSeen = now;
    this.lastPing = now;
    this.metrics = metrics;
    this.retry = retry;
  }

  UUID organizationId() {
    return principal.organizationId();
  }

  /** A live frame of its feed: written now, held while the socket holds or replays, nothing once closed. */
  void offer(Frame frame) {
    switch (state) {
      case LIVE -> send(frame);
      case HOLD, REPLAYING -> {
        if (pending.size() >= MAX_PENDING) {
          tryAgain("too far behind, resume", "queue_full");
        } else {
          pending.add(frame);
        }
      }
      default -> { }
    }
  }

  /** Closes the socket with 1013: the client should come back and resume. */
  void tryAgain(String reason, String metric) {
    retry.close(this, reason, metric);
  }

  /** Writes what was held back, then every frame as it comes. */
  void goLive() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.LIVE;
    ArrayDeque<Frame> held = pending;
    pending = null;
    if (held != null) {
      for (Frame frame : held) {
        send(frame);
      }
    }
  }

  /** Tells the client to start over from {@code seq}; held frames up to it are dropped. */
  void reset(long seq, String cause) {
    metrics.reset(cause);
    sent = seq;
    if (pending != null) {
      pending.removeIf(frame -> frame.seq() <= seq);
    }
    write("{\"type\":\"reset\",\"seq\":" + seq + "}");
  }

  /** Writes a numbered frame unless the socket already has it. */
  void send(Frame frame) {
    if (frame.seq() > sent && write(frame.text())) {
      sent = frame.seq();
    }
  }

  void error(String code, String message) {
    write(new JsonObject().put("type", "error")
        .put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }

  /**
   * Writes a frame, or closes the socket as a slow consumer when its write queue is full. The write happens on
   * the connection's own event loop: there the queue's fill is exact (writes handed over from another thread
   * would be counted as messages in flight, not bytes).
   */
  boolean write(String text) {
    if (state == State.CLOSED) {
      return false;
    }
    metrics.frameOut();
    if (local) {
      writeNow(text);
    } else {
      home.runOnContext(v -> writeNow(text));
    }
    return true;
  }

  /** On the connection's event loop. */
  private void writeNow(String text) {
    if (ws.isClosed()) {
      return;
    }
    if (ws.writeQueueFull()) {
      tryAgain("slow consumer, resume", "queue_full");
    } else {
      ws.writeTextMessage(text);
    }
  }

  /** A WebSocket ping, on the connection's event loop. */
  void ping(long now) {
    lastPing = now;
    if (local) {
      ws.writePing(Buffer.buffer());
    } else {
      home.runOnContext(v -> ws.writePing(Buffer.buffer()));
    }
  }
}

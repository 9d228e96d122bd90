package dev.parley.push;

import dev.parley.auth.Principal;
import io.vertx.core.Context;
import io.vertx.core.http.ServerWebSocket;
import java.util.ArrayDeque;
import java.util.UUID;

/**
 * One client connection, owned by one {@link PushShard} and touched only on that shard's thread (except
 * {@link #lastSeen}, written by the connection's own handlers, and the writes, which happen on {@link #home}). Tracks the highest sequence number written,
 * so that each numbered frame reaches the client once and in order whatever mix of replay and live delivery
 * produced it.
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

  PushSocket(ServerWebSocket ws, Context home, boolean local, Principal principal, long now) {
    this.ws = ws;
    this.home = home;
    this.local = local;
    this.principal = principal;
    this.lastSeen = now;
    this.lastPing = now;
  }

  UUID organizationId() {
    return principal.organizationId();
  }
}

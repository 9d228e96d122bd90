package dev.parley.push;

import dev.parley.push.PushSocket.Frame;
import dev.parley.push.PushSocket.State;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One organization on one {@link PushShard}: its sockets there and the last sequence number delivered to them,
 * touched only on the shard's thread. Numbered events may arrive out of order (several committers publish
 * concurrently, across nodes too); a gap is filled from the {@link EventLog}, which always holds every number
 * below one that was published, so each socket gets every event once and in order.
 */
final class PushFeed {
  private static final Logger log = LoggerFactory.getLogger(PushFeed.class);

  final UUID organizationId;
  final Set<PushSocket> sockets = new LinkedHashSet<>();
  /** Sockets waiting for the feed to learn its starting number, with the {@code since} they asked for. */
  final Map<PushSocket, Long> starting = new HashMap<>();
  /** Numbered frames that arrived while the feed was starting or filling a gap. */
  private final PriorityQueue<Frame> queued = new PriorityQueue<>((a, b) -> Long.compare(a.seq(), b.seq()));
  private final EventLog eventLog;
  /** Called when the feed has no sockets and nothing in progress: the shard forgets it. */
  private final Runnable idle;
  long last;
  boolean ready;
  boolean busy; // starting or filling a gap: frames queue up

  PushFeed(UUID organizationId, EventLog eventLog, Runnable idle) {
    this.organizationId = organizationId;
    this.eventLog = eventLog;
    this.idle = idle;
  }

  /** A numbered frame from the bus: delivered in order, queued while busy, a gap filled from the log first. */
  void accept(Frame frame) {
    if (!ready || busy) {
      queued.add(frame);
      return;
    }
    if (frame.seq() <= last) {
      return;
    }
    if (frame.seq() == last + 1) {
      deliver(frame);
      return;
    }
    // a gap: the missing numbers are already in the log (they were appended before this one)
    queued.add(frame);
    busy = true;
    eventLog.since(organizationId, last).onComplete(replay -> {
      busy = false;
      if (replay.failed()) {
        log.warn("cannot fill an event gap of organization {}: {}", organizationId, replay.cause().toString());
        long highest = last;
        for (Frame waiting : queued) {
          highest = Math.max(highest, waiting.seq());
        }
        queued.clear();
        reset(highest, "gap_unavailable");
      } else if (replay.result().reset()) {
        reset(replay.result().current(), "gap_trimmed");
      } else {
        for (String text : replay.result().frames()) {
          Frame missing = new Frame(EventLog.seqOf(text), text);
          if (missing.seq() > last) {
            deliver(missing);
          }
        }
      }
      drainQueued();
    });
  }

  /** Delivers what queued while the feed was busy; forgets the feed once it has no sockets left. */
  void drainQueued() {
    while (!queued.isEmpty() && !busy) {
      accept(queued.poll());
    }
    if (sockets.isEmpty() && !busy) {
      idle.run();
    }
  }

  private void deliver(Frame frame) {
    last = frame.seq();
    for (PushSocket socket : List.copyOf(sockets)) {
      socket.offer(frame);
    }
  }

  /**
   * The feed lost its order (log trimmed or Redis unavailable): every socket starts over from {@code seq}, and a
   * socket replaying meanwhile is closed to resume, since its replay no longer lines up with the feed.
   */
  void reset(long seq, String cause) {
    last = Math.max(last, seq);
    for (PushSocket socket : List.copyOf(sockets)) {
      if (socket.state == State.REPLAYING) {
        socket.tryAgain("events reordered, resume", "reset");
      } else if (socket.state != State.CLOSED) {
        socket.reset(last, cause);
        if (socket.state == State.HOLD) {
          socket.goLive();
        }
      }
    }
  }
}

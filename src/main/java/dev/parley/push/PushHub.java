package dev.parley.push;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shards of this node's push hub, so the WebSocket endpoint can hand each new socket to one. A socket
 * goes to the shard running on the event loop that accepted it when there is one (no thread hop for its
 * frames), otherwise round robin. Stops accepting sockets as soon as the first shard begins to stop.
 */
public final class PushHub {
  private final List<PushShard> shards = new CopyOnWriteArrayList<>();
  private final AtomicInteger next = new AtomicInteger();
  private final PushMetrics metrics;
  private volatile boolean accepting = true;

  public PushHub(PushMetrics metrics) {
    this.metrics = metrics;
  }

  void register(PushShard shard) {
    shards.add(shard);
  }

  void unregister(PushShard shard) {
    accepting = false;
    shards.remove(shard);
  }

  public boolean accepting() {
    return accepting && !shards.isEmpty();
  }

  /** The shard for a socket accepted on the current thread; null when none runs (stopping). */
  PushShard pick() {
    PushShard[] current = shards.toArray(PushShard[]::new); // one snapshot; shards leave while stopping
    for (PushShard shard : current) {
      if (shard.runsOnCurrentThread()) {
        return shard;
      }
    }
    return current.length == 0 ? null : current[Math.floorMod(next.getAndIncrement(), current.length)];
  }

  public PushMetrics metrics() {
    return metrics;
  }
}

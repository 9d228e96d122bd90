package dev.parley.bench;

import dev.parley.bench.Fixtures.BenchChannel;
import dev.parley.bench.Fixtures.Org;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario 3: as many WebSocket connections as this machine lets one process hold (the target is 100,000; each
 * process here may open only {@code ulimit -n} files, and the generator holds the other end of every socket),
 * opened from four loopback source addresses; Parley's heap and resident memory per connection (after a full
 * GC, against the same process before); then the fan-out rate: new customer messages to the organization all
 * sockets belong to, and how many frames per second reach them.
 */
final class ConnectionsScenario {

  private final Vertx vertx;
  private final Bench.Mode mode;
  private final AtomicLong created = new AtomicLong();
  private final AtomicLong frames = new AtomicLong();

  ConnectionsScenario(Vertx vertx, Bench.Mode mode) {
    this.vertx = vertx;
    this.mode = mode;
  }

  JsonObject run(ParleyProcess parley, Org org) {
    int target = mode.connections();
    parley.fullGc();
    ParleyProcess.sleep(1_000);
    long heapBefore = parley.heapUsedBytes();
    long rssBefore = parley.rssBytes();
    long started = System.nanoTime();
    try (var agents = new Agents(vertx, parley.port(), 4)) {
      int open = agents.open(target, org.tokens(), 256, this::frame).await();
      double connectSeconds = (System.nanoTime() - started) / 1e9;
      System.out.printf("connections: %,d of %,d open in %.1f s%n", open, target, connectSeconds);
      ParleyProcess.sleep(3_000);
      parley.fullGc();
      ParleyProcess.sleep(1_000);
      long heapAfter = parley.heapUsedBytes();
      long rssAfter = parley.rssBytes();

      // fan-out: messages posted at once; every socket gets message.created (and conversation.updated)
      var client = new Client(vertx, parley.port(), 16);
      var webhooks = new Webhooks(0, 0, 1_000);
      BenchChannel channel = org.channels().get(0);
      int messages = mode.fanoutMessages();
      created.set(0);
      frames.set(0);
      long expected = (long) messages * open;
      long fanStart = System.nanoTime();
      List<Future<?>> posts = new ArrayList<>();
      for (int i = 0; i < messages; i++) {
        posts.add(client.webhook(webhooks.text(channel, i, "fan-out " + i)));
      }
      Future.join(new ArrayList<>(posts)).await();
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (created.get() < expected && System.nanoTime() < deadline) {
        ParleyProcess.sleep(20);
      }
      double fanSeconds = (System.nanoTime() - fanStart) / 1e9;
      client.close();
      long rssLoaded = parley.rssBytes();
      var result = new JsonObject()
          .put("target", 100_000)
          .put("attempted", target)
          .put("held", open)
          .put("bound", "RLIMIT_NOFILE " + Bench.fileLimit() + " per process on this machine (not raisable here)")
          .put("connect_seconds", Stats.round(connectSeconds, 1))
          .put("heap_before_bytes", heapBefore)
          .put("heap_after_bytes", heapAfter)
          .put("rss_before_bytes", rssBefore)
          .put("rss_after_bytes", rssAfter)
          .put("rss_after_fanout_bytes", rssLoaded)
          .put("heap_per_connection_bytes", open == 0 ? 0 : (heapAfter - heapBefore) / open)
          .put("rss_per_connection_bytes", open == 0 ? 0 : (rssAfter - rssBefore) / open)
          .put("projected_rss_at_100k_bytes", open == 0 ? 0 : rssBefore + (rssAfter - rssBefore) * 100_000L / open)
          .put("fanout_messages", messages)
          .put("fanout_deliveries_expected", expected)
          .put("fanout_deliveries", created.get())
          .put("fanout_frames", frames.get())
          .put("fanout_seconds", Stats.round(fanSeconds, 2))
          .put("fanout_deliveries_per_s", Math.round(created.get() / fanSeconds))
          .put("fanout_frames_per_s", Math.round(frames.get() / fanSeconds));
      System.out.printf("connections: heap %+,d B/conn, RSS %+,d B/conn; fan-out %,d message.created frames in %.1f s "
              + "(%,.0f/s)%n", result.getLong("heap_per_connection_bytes"), result.getLong("rss_per_connection_bytes"),
          created.get(), fanSeconds, created.get() / fanSeconds);
      return result;
    }
  }

  private void frame(String text) {
    frames.incrementAndGet();
    if (Agents.isEvent(text, "message.created")) {
      created.incrementAndGet();
    }
  }
}

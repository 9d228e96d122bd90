package dev.parley.push;

import dev.parley.auth.Principal;
import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import dev.parley.config.ParleyConfig;
import dev.parley.push.PushSocket.Frame;
import dev.parley.push.PushSocket.State;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * One shard of the push hub: owns a share of the node's WebSockets and writes every frame to them. All of a
 * shard's state lives on its own event loop; frames a client sends are handed over to it.
 *
 * <p>Per organization a shard keeps a feed: the last sequence number it delivered and its sockets. Numbered
 * events may arrive out of order (several committers publish concurrently, across nodes too); a gap is filled
 * from the {@link EventLog}, which always holds every number below one that was published. So each socket
 * gets every event of its organization, once, in order, and a client that reconnects gets exactly what it
 * missed ({@code resume}) or a {@code reset} when the log no longer reaches back that far.
 *
 * <p>Writes happen on each connection's own event loop. Close codes: 1012 (server restarting) on shutdown,
 * 1013 (try again later) for a slow consumer or a store that cannot serve the socket, 4408 for a socket silent
 * past the idle timeout: all resumable. 4401 when the access token expired: sign in again, then resume. 1009 for
 * a client frame over the size limit.
 */
public final class PushShard extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(PushShard.class);
  static final short CLOSE_RESTART = 1012;
  static final short CLOSE_TRY_AGAIN = 1013;
  static final short CLOSE_IDLE = 4408;
  static final short CLOSE_TOKEN_EXPIRED = 4401;
  static final short CLOSE_TOO_BIG = 1009;
  /** Live frames held for one socket while it holds or replays; beyond this it is treated as a slow consumer. */
  private static final int MAX_PENDING = 10_000;
  /**
   * How long a stopping shard waits for its sockets' closing handshakes. A client that stopped reading never
   * answers (its close frame sits behind the unread ones); the connections are torn down with Vert.x after this.
   */
  private static final long STOP_GRACE_MS = 3_000;
  private static final int TYPING_PER_SECOND = 10;

  private final PushHub hub;
  private final EventLog eventLog;
  private final EventPublisher publisher;
  private final ParleyConfig.Push config;
  private final PushMetrics metrics;
  private final Map<UUID, Feed> feeds = new HashMap<>();
  private Context context;
  private volatile Thread thread;
  private long ticker;

  /** One organization on this shard. */
  private static final class Feed {
    final UUID organizationId;
    final Set<PushSocket> sockets = new LinkedHashSet<>();
    /** Sockets waiting for the feed to learn its starting number, with the {@code since} they asked for. */
    final Map<PushSocket, Long> starting = new HashMap<>();
    /** Numbered frames that arrived while the feed was starting or filling a gap. */
    final PriorityQueue<Frame> queued = new PriorityQueue<>((a, b) -> Long.compare(a.seq(), b.seq()));
    long last;
    boolean ready;
    boolean busy; // starting or filling a gap: frames queue up

    Feed(UUID organizationId) {
      this.organizationId = organizationId;
    }
  }

  public PushShard(PushHub hub, EventLog eventLog, EventPublisher publisher, ParleyConfig.Push config) {
    this.hub = hub;
    this.eventLog = eventLog;
    this.publisher = publisher;
    this.config = config;
    this.metrics = hub.metrics();
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    thread = Thread.currentThread();
    long smallest = Math.min(config.pingInterval().toMillis(),
        Math.min(config.idleTimeout().toMillis(), config.resumeGrace().toMillis()));
    ticker = vertx.setPeriodic(Math.max(50, Math.min(1000, smallest / 4)), id -> tick());
    return vertx.eventBus().<JsonObject>consumer(Addresses.PUSH, this::onPush).completion()
        .onSuccess(v -> hub.register(this));
  }

  /** Closes every socket with 1012 so its client reconnects (here when back, or to another node) and resumes. */
  @Override
  public Future<?> stop() {
    hub.unregister(this);
    vertx.cancelTimer(ticker);
    List<Future<Void>> closing = new ArrayList<>();
    for (PushSocket socket : allSockets()) {
      closing.add(close(socket, CLOSE_RESTART, "server restarting", "shutdown"));
    }
    Promise<Void> grace = Promise.promise();
    long timer = vertx.setTimer(STOP_GRACE_MS, t -> {
      if (grace.tryComplete()) {
        log.warn("{} socket(s) did not finish closing within {} ms; stopping without them",
            closing.stream().filter(f -> !f.isComplete()).count(), STOP_GRACE_MS);
      }
    });
    return Future.any(Future.join(closing).otherwiseEmpty(), grace.future())
        .onComplete(v -> vertx.cancelTimer(timer));
  }

  boolean runsOnCurrentThread() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on this shard's event loop (directly when already there). */
  private void onShard(Runnable task) {
    if (runsOnCurrentThread()) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }

  /**
   * Frames written to a socket one after another in an event-loop turn leave in one system call: Vert.x flushes each
   * WebSocket write at once (outside a read), and a batch's frames for one socket come in a row. Netty's
   * {@link FlushConsolidationHandler} turns those flushes into one, run right after the turn. In the benchmark's fan-out
   * the event loops' kernel time (socket writes and loopback delivery) was about half of Parley's CPU per message.
   */
  private static void consolidateFlushes(ServerWebSocket ws) {
    if (ws instanceof WebSocketInternal internal) {
      var pipeline = internal.channelHandlerContext().pipeline();
      if (pipeline.get(FlushConsolidationHandler.class) == null) {
        pipeline.addFirst("parley-flush-consolidation",
            new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
      }
    }
  }

  /** Takes over an upgraded, authenticated socket. Called on the thread that accepted the connection. */
  void adopt(ServerWebSocket ws, Principal principal, Long since) {
    var socket = new PushSocket(ws, vertx.getOrCreateContext(), runsOnCurrentThread(), principal,
        System.currentTimeMillis());
    ws.setWriteQueueMaxSize(config.maxQueuedBytes());
    consolidateFlushes(ws);
    ws.textMessageHandler(text -> {
      socket.lastSeen = System.currentTimeMillis();
      onShard(() -> onClientFrame(socket, text));
    });
    ws.binaryMessageHandler(data -> onShard(() -> error(socket, "bad_frame", "frames are JSON text")));
    ws.pongHandler(data -> socket.lastSeen = System.currentTimeMillis());
    ws.exceptionHandler(failure -> {
      if (String.valueOf(failure.getMessage()).contains("max message size")) {
        onShard(() -> close(socket, CLOSE_TOO_BIG, "frames are limited to " + config.maxFrameBytes() + " bytes", "too_big"));
      } else {
        log.debug("socket of {} failed: {}", principal.id(), failure.toString());
      }
    });
    ws.closeHandler(v -> onShard(() -> detach(socket, "client")));
    onShard(() -> attach(socket, since));
  }

  // ---- sockets joining and leaving

  private void attach(PushSocket socket, Long since) {
    if (socket.ws.isClosed()) {
      socket.state = State.CLOSED;
      return;
    }
    metrics.opened();
    Feed feed = feeds.computeIfAbsent(socket.organizationId(), Feed::new);
    feed.sockets.add(socket);
    if (feed.ready) {
      begin(feed, socket, since);
      return;
    }
    feed.starting.put(socket, since);
    if (!feed.busy) {
      feed.busy = true;
      eventLog.current(feed.organizationId).onComplete(current -> {
        feed.busy = false;
        if (current.failed()) {
          log.warn("cannot start the event feed of organization {}: {}", feed.organizationId, current.cause().toString());
          for (PushSocket waiting : List.copyOf(feed.starting.keySet())) {
            close(waiting, CLOSE_TRY_AGAIN, "events unavailable, try again", "unavailable");
          }
          feed.starting.clear();
          return;
        }
        feed.last = current.result();
        feed.ready = true;
        feed.starting.forEach((waiting, asked) -> begin(feed, waiting, asked));
        feed.starting.clear();
        drainQueued(feed);
      });
    }
  }

  private void begin(Feed feed, PushSocket socket, Long since) {
    socket.base = feed.last;
    socket.sent = feed.last;
    write(socket, new JsonObject()
        .put("type", "ready")
        .put("seq", feed.last)
        .put("principal", socket.principal.toJson())
        .put("ping_interval_ms", config.pingInterval().toMillis())
        .put("resume_grace_ms", config.resumeGrace().toMillis())
        .encode());
    if (since != null) {
      resume(feed, socket, since);
    } else if (socket.declared) { // it already sent a frame that was not a resume
      socket.state = State.LIVE;
    } else {
      socket.state = State.HOLD;
      socket.pending = new ArrayDeque<>();
      socket.holdUntil = System.currentTimeMillis() + config.resumeGrace().toMillis();
    }
  }

  private void detach(PushSocket socket, String reason) {
    if (socket.state == State.CLOSED) {
      return;
    }
    socket.state = State.CLOSED;
    socket.pending = null;
    metrics.closed(reason);
    Feed feed = feeds.get(socket.organizationId());
    if (feed != null) {
      feed.sockets.remove(socket);
      feed.starting.remove(socket);
      if (feed.sockets.isEmpty() && !feed.busy) {
        feeds.remove(feed.organizationId);
      }
    }
  }

  /**
   * Sends a close frame and stops writing. A client that does not complete the close (a dead peer never will; a
   * slow one first reads what is queued) is cut off by the server's WebSocket closing timeout.
   */
  private Future<Void> close(PushSocket socket, short code, String reason, String metric) {
    if (socket.state == State.CLOSED) {
      return Future.succeededFuture();
    }
    log.debug("closing socket {} of {} with {} ({})", socket.ws.remoteAddress(), socket.principal.id(), code, reason);
    detach(socket, metric);
    return socket.ws.close(code, reason).otherwiseEmpty();
  }

  // ---- numbered events: keep each feed in order, fill gaps from the log

  private void onPush(Message<JsonObject> message) {
    JsonObject body = message.body();
    Feed feed = feeds.get(UUID.fromString(body.getString("org")));
    if (feed == null) {
      return; // nobody of this organization is connected here
    }
    switch (body.getString(PushMessage.KIND)) {
      case PushMessage.EVENT -> accept(feed, new Frame(body.getLong("seq"), body.getString("frame")));
      case PushMessage.EVENTS -> {
        long first = body.getLong("seq");
        JsonArray frames = body.getJsonArray("frames");
        for (int i = 0; i < frames.size(); i++) {
          accept(feed, new Frame(first + i, frames.getString(i)));
        }
      }
      case PushMessage.DIRECT -> direct(feed, body);
      case PushMessage.RESET -> {
        if (feed.ready && !feed.busy) {
          resetFeed(feed, feed.last, "unnumbered");
        }
      }
      default -> log.warn("unknown push message kind {}", body.getString(PushMessage.KIND));
    }
  }

  private void accept(Feed feed, Frame frame) {
    if (!feed.ready || feed.busy) {
      feed.queued.add(frame);
      return;
    }
    if (frame.seq() <= feed.last) {
      return;
    }
    if (frame.seq() == feed.last + 1) {
      deliver(feed, frame);
      return;
    }
    // a gap: the missing numbers are already in the log (they were appended before this one)
    feed.queued.add(frame);
    feed.busy = true;
    eventLog.since(feed.organizationId, feed.last).onComplete(replay -> {
      feed.busy = false;
      if (replay.failed()) {
        log.warn("cannot fill an event gap of organization {}: {}", feed.organizationId, replay.cause().toString());
        long highest = feed.last;
        for (Frame queued : feed.queued) {
          highest = Math.max(highest, queued.seq());
        }
        feed.queued.clear();
        resetFeed(feed, highest, "gap_unavailable");
      } else if (replay.result().reset()) {
        resetFeed(feed, replay.result().current(), "gap_trimmed");
      } else {
        for (String text : replay.result().frames()) {
          Frame missing = new Frame(EventLog.seqOf(text), text);
          if (missing.seq() > feed.last) {
            deliver(feed, missing);
          }
        }
      }
      drainQueued(feed);
    });
  }

  private void drainQueued(Feed feed) {
    while (!feed.queued.isEmpty() && !feed.busy) {
      accept(feed, feed.queued.poll());
    }
    if (feed.sockets.isEmpty() && !feed.busy) {
      feeds.remove(feed.organizationId);
    }
  }

  private void deliver(Feed feed, Frame frame) {
    feed.last = frame.seq();
    for (PushSocket socket : List.copyOf(feed.sockets)) {
      offer(socket, frame);
    }
  }

  private void offer(PushSocket socket, Frame frame) {
    switch (socket.state) {
      case LIVE -> send(socket, frame);
      case HOLD, REPLAYING -> {
        if (socket.pending.size() >= MAX_PENDING) {
          close(socket, CLOSE_TRY_AGAIN, "too far behind, resume", "queue_full");
        } else {
          socket.pending.add(frame);
        }
      }
      default -> { }
    }
  }

  /** The feed lost its order (log trimmed or Redis unavailable): every socket starts over from {@code seq}. */
  private void resetFeed(Feed feed, long seq, String cause) {
    feed.last = Math.max(feed.last, seq);
    for (PushSocket socket : List.copyOf(feed.sockets)) {
      if (socket.state == State.REPLAYING) { // its replay no longer lines up with the feed: let it come back
        close(socket, CLOSE_TRY_AGAIN, "events reordered, resume", "reset");
      } else if (socket.state != State.CLOSED) {
        sendReset(socket, feed.last, cause);
        if (socket.state == State.HOLD) {
          goLive(socket);
        }
      }
    }
  }

  // ---- one socket: resume, hold, live

  private void resume(Feed feed, PushSocket socket, long since) {
    if (socket.state == State.REPLAYING) {
      error(socket, "resume_in_progress", "a resume is already in progress");
      return;
    }
    if (socket.state == State.LIVE && socket.sent > socket.base && since < socket.base) {
      // newer events already went out on this socket; replaying older ones now would break the order
      metrics.resumed("reset");
      sendReset(socket, socket.sent, "resume_late");
      return;
    }
    if (socket.pending == null) {
      socket.pending = new ArrayDeque<>();
    }
    socket.state = State.REPLAYING;
    eventLog.since(feed.organizationId, since).onComplete(replay -> {
      if (socket.state != State.REPLAYING) {
        return; // closed meanwhile
      }
      if (replay.failed()) {
        log.warn("cannot replay events of organization {}: {}", feed.organizationId, replay.cause().toString());
        close(socket, CLOSE_TRY_AGAIN, "events unavailable, try again", "unavailable");
        return;
      }
      if (replay.result().reset()) {
        metrics.resumed("reset");
        sendReset(socket, Math.max(socket.sent, replay.result().current()), "resume_trimmed");
      } else {
        metrics.resumed("replayed");
        // nothing delivered yet: the client's position is its own; otherwise never repeat what went out
        socket.sent = socket.sent > socket.base ? Math.max(socket.sent, since) : since;
        for (String text : replay.result().frames()) {
          send(socket, new Frame(EventLog.seqOf(text), text));
        }
      }
      goLive(socket);
    });
  }

  private void goLive(PushSocket socket) {
    if (socket.state == State.CLOSED) {
      return;
    }
    socket.state = State.LIVE;
    ArrayDeque<Frame> held = socket.pending;
    socket.pending = null;
    if (held != null) {
      for (Frame frame : held) {
        send(socket, frame);
      }
    }
  }

  private void sendReset(PushSocket socket, long seq, String cause) {
    metrics.reset(cause);
    socket.sent = seq;
    if (socket.pending != null) {
      socket.pending.removeIf(frame -> frame.seq() <= seq);
    }
    write(socket, "{\"type\":\"reset\",\"seq\":" + seq + "}");
  }

  /** Writes a numbered frame unless the socket already has it. */
  private void send(PushSocket socket, Frame frame) {
    if (frame.seq() > socket.sent && write(socket, frame.text())) {
      socket.sent = frame.seq();
    }
  }

  /**
   * Writes a frame, or closes the socket as a slow consumer when its write queue is full. The write happens on
   * the connection's own event loop: there the queue's fill is exact (writes handed over from another thread
   * would be counted as messages in flight, not bytes).
   */
  private boolean write(PushSocket socket, String text) {
    if (socket.state == State.CLOSED) {
      return false;
    }
    metrics.frameOut();
    if (socket.local) {
      writeNow(socket, text);
    } else {
      socket.home.runOnContext(v -> writeNow(socket, text));
    }
    return true;
  }

  /** On the connection's event loop. */
  private void writeNow(PushSocket socket, String text) {
    if (socket.ws.isClosed()) {
      return;
    }
    if (socket.ws.writeQueueFull()) {
      onShard(() -> close(socket, CLOSE_TRY_AGAIN, "slow consumer, resume", "queue_full"));
    } else {
      socket.ws.writeTextMessage(text);
    }
  }

  private void error(PushSocket socket, String code, String message) {
    write(socket, new JsonObject().put("type", "error")
        .put("error", new JsonObject().put("code", code).put("message", message)).encode());
  }

  // ---- targeted, unnumbered frames

  private void direct(Feed feed, JsonObject body) {
    String view = body.getString("view");
    String user = body.getString("user");
    String exceptUser = body.getString("except_user");
    String frame = body.getString("frame");
    for (PushSocket socket : List.copyOf(feed.sockets)) {
      if (socket.state == State.CLOSED || socket.state == State.NEW) {
        continue;
      }
      UUID userId = socket.principal.userId();
      boolean wanted = exceptUser != null
          ? userId != null && !userId.toString().equals(exceptUser)
          : (view != null && view.equals(socket.view)) || (user != null && userId != null && user.equals(userId.toString()));
      if (wanted) {
        write(socket, frame);
      }
    }
  }

  // ---- what clients send

  private void onClientFrame(PushSocket socket, String text) {
    if (socket.state == State.CLOSED) {
      return;
    }
    Feed feed = feeds.get(socket.organizationId());
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      error(socket, "bad_frame", "frames are JSON objects with a type");
      return;
    }
    Object type = frame.getValue("type");
    if ("resume".equals(type)) {
      Object since = frame.getValue("since");
      if (!(since instanceof Number number) || number.longValue() < 0 || number.doubleValue() != number.longValue()) {
        error(socket, "bad_frame", "resume needs since: the last sequence number received (0 or more)");
      } else if (socket.state == State.NEW) {
        if (feed != null) {
          feed.starting.put(socket, number.longValue()); // resume as soon as the feed has started
        }
      } else {
        resume(feed, socket, number.longValue());
      }
      return;
    }
    socket.declared = true;
    if (socket.state == State.HOLD) { // the client is not resuming
      goLive(socket);
    }
    if ("ping".equals(type)) {
      JsonObject pong = new JsonObject().put("type", "pong");
      if (frame.containsKey("id")) {
        pong.put("id", frame.getValue("id"));
      }
      write(socket, pong.encode());
    } else if ("view".equals(type)) {
      view(socket, frame);
    } else if ("typing".equals(type)) {
      typing(socket, frame);
    } else {
      error(socket, "unknown_frame_type", "frame types are resume, view, typing and ping");
    }
  }

  private void view(PushSocket socket, JsonObject frame) {
    Object view = frame.getValue("view");
    if (!(view instanceof String name) || name.isBlank() || name.length() > 64) {
      error(socket, "bad_frame", "view needs view: the screen's name, such as chats");
      return;
    }
    UUID conversation = uuid(frame.getValue("conversation_id"));
    if (frame.getValue("conversation_id") != null && conversation == null) {
      error(socket, "bad_frame", "conversation_id must be a UUID");
      return;
    }
    socket.view = name;
    socket.viewConversation = conversation;
  }

  private void typing(PushSocket socket, JsonObject frame) {
    if (!socket.principal.isUser()) {
      error(socket, "not_allowed", "only signed-in users type");
      return;
    }
    UUID conversation = uuid(frame.getValue("conversation_id"));
    Object typing = frame.getValue("typing", Boolean.TRUE);
    if (conversation == null || !(typing instanceof Boolean)) {
      error(socket, "bad_frame", "typing needs conversation_id (a UUID) and optionally typing (true or false)");
      return;
    }
    long second = System.currentTimeMillis() / 1000;
    if (socket.typingWindow != second) {
      socket.typingWindow = second;
      socket.typingCount = 0;
    }
    if (++socket.typingCount > TYPING_PER_SECOND) {
      return; // relayed often enough already
    }
    publisher.direct(List.of(PushMessage.toUsersExcept(socket.organizationId(), OrgEvent.TYPING, new JsonObject()
        .put("conversation_id", conversation.toString())
        .put("user_id", socket.principal.id().toString())
        .put("user_name", socket.principal.name())
        .put("typing", typing), socket.principal.id())));
  }

  private static UUID uuid(Object value) {
    if (!(value instanceof String text)) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  // ---- heartbeats, holds and expiries

  private void tick() {
    long now = System.currentTimeMillis();
    long ping = config.pingInterval().toMillis();
    for (PushSocket socket : allSockets()) {
      if (socket.state == State.HOLD && now >= socket.holdUntil) {
        goLive(socket);
      }
      if (socket.principal.expiresAt() != null && now >= socket.principal.expiresAt().toEpochMilli()) {
        close(socket, CLOSE_TOKEN_EXPIRED, "access token expired", "token_expired");
      } else if (now - socket.lastSeen > config.idleTimeout().toMillis()) {
        close(socket, CLOSE_IDLE, "no heartbeat", "idle");
      } else if (now - socket.lastSeen >= ping && now - socket.lastPing >= ping) {
        socket.lastPing = now;
        if (socket.local) {
          socket.ws.writePing(Buffer.buffer());
        } else {
          socket.home.runOnContext(v -> socket.ws.writePing(Buffer.buffer()));
        }
      }
    }
  }

  private List<PushSocket> allSockets() {
    List<PushSocket> all = new ArrayList<>();
    feeds.values().forEach(feed -> all.addAll(feed.sockets));
    return all;
  }
}

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
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard of the push hub: owns a share of the node's WebSockets and writes every frame to them. All of a
 * shard's state lives on its own event loop; frames a client sends are handed over to it.
 *
 * <p>Per organization a shard keeps a {@link PushFeed}: its sockets here and the last sequence number delivered
 * to them, gaps filled from the {@link EventLog}. So each socket gets every event of its organization, once, in
 * order, and a client that reconnects gets exactly what it missed ({@code resume}) or a {@code reset} when the log
 * no longer reaches back that far. Each {@link PushSocket} holds back, writes and resets itself; what clients send
 * is parsed by {@link ClientFrame}.
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
  private final Map<UUID, PushFeed> feeds = new HashMap<>();
  private Context context;
  private volatile Thread thread;
  private long ticker;

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
        System.currentTimeMillis(), metrics,
        (slow, reason, metric) -> onShard(() -> close(slow, CLOSE_TRY_AGAIN, reason, metric)));
    ws.setWriteQueueMaxSize(config.maxQueuedBytes());
    consolidateFlushes(ws);
    ws.textMessageHandler(text -> {
      socket.lastSeen = System.currentTimeMillis();
      onShard(() -> onClientFrame(socket, text));
    });
    ws.binaryMessageHandler(data -> onShard(() -> socket.error("bad_frame", "frames are JSON text")));
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
    PushFeed feed = feeds.computeIfAbsent(socket.organizationId(),
        organization -> new PushFeed(organization, eventLog, () -> feeds.remove(organization)));
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
        feed.drainQueued();
      });
    }
  }

  private void begin(PushFeed feed, PushSocket socket, Long since) {
    socket.base = feed.last;
    socket.sent = feed.last;
    socket.write(new JsonObject()
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
    PushFeed feed = feeds.get(socket.organizationId());
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
    PushFeed feed = feeds.get(UUID.fromString(body.getString("org")));
    if (feed == null) {
      return; // nobody of this organization is connected here
    }
    switch (body.getString(PushMessage.KIND)) {
      case PushMessage.EVENT -> feed.accept(new Frame(body.getLong("seq"), body.getString("frame")));
      case PushMessage.EVENTS -> {
        long first = body.getLong("seq");
        JsonArray frames = body.getJsonArray("frames");
        for (int i = 0; i < frames.size(); i++) {
          feed.accept(new Frame(first + i, frames.getString(i)));
        }
      }
      case PushMessage.DIRECT -> direct(feed, body);
      case PushMessage.RESET -> {
        if (feed.ready && !feed.busy) {
          feed.reset(feed.last, "unnumbered");
        }
      }
      default -> log.warn("unknown push message kind {}", body.getString(PushMessage.KIND));
    }
  }

  // ---- one socket: resume, hold, live

  private void resume(PushFeed feed, PushSocket socket, long since) {
    if (socket.state == State.REPLAYING) {
      socket.error("resume_in_progress", "a resume is already in progress");
      return;
    }
    if (socket.state == State.LIVE && socket.sent > socket.base && since < socket.base) {
      // newer events already went out on this socket; replaying older ones now would break the order
      metrics.resumed("reset");
      socket.reset(socket.sent, "resume_late");
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
        socket.reset(Math.max(socket.sent, replay.result().current()), "resume_trimmed");
      } else {
        metrics.resumed("replayed");
        // nothing delivered yet: the client's position is its own; otherwise never repeat what went out
        socket.sent = socket.sent > socket.base ? Math.max(socket.sent, since) : since;
        for (String text : replay.result().frames()) {
          socket.send(new Frame(EventLog.seqOf(text), text));
        }
      }
      socket.goLive();
    });
  }

  // ---- targeted, unnumbered frames

  private void direct(PushFeed feed, JsonObject body) {
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
        socket.write(frame);
      }
    }
  }

  // ---- what clients send

  private void onClientFrame(PushSocket socket, String text) {
    if (socket.state == State.CLOSED) {
      return;
    }
    ClientFrame frame = ClientFrame.parse(text);
    if (frame instanceof ClientFrame.Resume resume) {
      if (socket.state == State.NEW) {
        PushFeed feed = feeds.get(socket.organizationId());
        if (feed != null) {
          feed.starting.put(socket, resume.since()); // resume as soon as the feed has started
        }
      } else {
        resume(feeds.get(socket.organizationId()), socket, resume.since());
      }
      return;
    }
    if (frame instanceof ClientFrame.Invalid invalid && !invalid.declares()) {
      socket.error(invalid.code(), invalid.message());
      return;
    }
    socket.declared = true;
    if (socket.state == State.HOLD) { // the client is not resuming
      socket.goLive();
    }
    if (frame instanceof ClientFrame.Ping ping) {
      JsonObject pong = new JsonObject().put("type", "pong");
      if (ping.hasId()) {
        pong.put("id", ping.id());
      }
      socket.write(pong.encode());
    } else if (frame instanceof ClientFrame.View view) {
      socket.view = view.name();
      socket.viewConversation = view.conversationId();
    } else if (frame instanceof ClientFrame.Typing typing) {
      if (socket.principal.isUser()) {
        typing(socket, typing);
      } else {
        socket.error("not_allowed", "only signed-in users type");
      }
    } else if (frame instanceof ClientFrame.Invalid invalid) {
      if ("typing".equals(invalid.type()) && !socket.principal.isUser()) {
        socket.error("not_allowed", "only signed-in users type"); // who may type is answered before how
      } else {
        socket.error(invalid.code(), invalid.message());
      }
    }
  }

  /** Relays a user's typing to the organization's other users, at most {@code TYPING_PER_SECOND} a second. */
  private void typing(PushSocket socket, ClientFrame.Typing typing) {
    long second = System.currentTimeMillis() / 1000;
    if (socket.typingWindow != second) {
      socket.typingWindow = second;
      socket.typingCount = 0;
    }
    if (++socket.typingCount > TYPING_PER_SECOND) {
      return; // relayed often enough already
    }
    publisher.direct(List.of(PushMessage.toUsersExcept(socket.organizationId(), OrgEvent.TYPING, new JsonObject()
        .put("conversation_id", typing.conversationId().toString())
        .put("user_id", socket.principal.id().toString())
        .put("user_name", socket.principal.name())
        .put("typing", typing.typing()), socket.principal.id())));
  }

  // ---- heartbeats, holds and expiries

  private void tick() {
    long now = System.currentTimeMillis();
    long ping = config.pingInterval().toMillis();
    for (PushSocket socket : allSockets()) {
      if (socket.state == State.HOLD && now >= socket.holdUntil) {
        socket.goLive();
      }
      if (socket.principal.expiresAt() != null && now >= socket.principal.expiresAt().toEpochMilli()) {
        close(socket, CLOSE_TOKEN_EXPIRED, "access token expired", "token_expired");
      } else if (now - socket.lastSeen > config.idleTimeout().toMillis()) {
        close(socket, CLOSE_IDLE, "no heartbeat", "idle");
      } else if (now - socket.lastSeen >= ping && now - socket.lastPing >= ping) {
        socket.ping(now);
      }
    }
  }

  private List<PushSocket> allSockets() {
    List<PushSocket> all = new ArrayList<>();
    feeds.values().forEach(feed -> all.addAll(feed.sockets));
    return all;
  }
}

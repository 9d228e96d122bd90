package dev.parley.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The ceilings of Parley's edge, with none of its work: a bare Vert.x HTTP server (one instance per event loop, as
 * Parley's edge) that reads each POST body whole and answers 200. {@code java BareServer <port>}.
 *
 * <p>It is also the relay floor of the e2e scenario: WebSockets at {@code /ws?access_token=G} join group G, and a
 * POST to {@code /relay/G} is answered 200 and its body pushed, wrapped as a {@code message.created} event frame, to
 * every socket of G, each written on its connection's own event loop as Parley's push hub does. Nothing is parsed,
 * verified, stored or counted: what this costs per message is what any server pays on this machine to take a webhook
 * and push it to as many sockets, before it does anything of its own.
 */
public final class BareServer extends VerticleBase {
  private static final Map<String, List<Member>> GROUPS = new ConcurrentHashMap<>();

  private final int port;

  private record Member(ServerWebSocket socket, Context home) {}

  BareServer(int port) {
    this.port = port;
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer()
        .webSocketHandler(this::join)
        .requestHandler(request -> request.body().onComplete(body -> {
          if (body.succeeded() && request.path().startsWith("/relay/")) {
            relay(request, body.result().toString());
          }
          request.response().putHeader("Content-Type", "application/json").end("{\"status\":\"ok\"}");
        }))
        .listen(port, "127.0.0.1");
  }

  private void join(ServerWebSocket socket) {
    String query = socket.query() == null ? "" : socket.query();
    String group = query.startsWith("access_token=") ? query.substring("access_token=".length()) : query;
    var member = new Member(socket, vertx.getOrCreateContext());
    List<Member> members = GROUPS.computeIfAbsent(group, g -> new CopyOnWriteArrayList<>());
    members.add(member);
    socket.closeHandler(v -> members.remove(member));
    socket.handler(frame -> { }); // the agents' ping
  }

  private void relay(HttpServerRequest request, String body) {
    List<Member> members = GROUPS.get(request.path().substring("/relay/".length()));
    if (members == null) {
      return;
    }
    String frame = "{\"type\":\"event\",\"seq\":0,\"event\":\"message.created\",\"data\":" + body + "}";
    Context here = vertx.getOrCreateContext();
    for (Member member : members) {
      if (member.home() == here) {
        member.socket().writeTextMessage(frame);
      } else {
        member.home().runOnContext(v -> member.socket().writeTextMessage(frame));
      }
    }
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int loops = Runtime.getRuntime().availableProcessors();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    vertx.deployVerticle(() -> new BareServer(port), new DeploymentOptions().setInstances(loops)).await();
    System.out.println("bare HTTP server on 127.0.0.1:" + port);
  }
}

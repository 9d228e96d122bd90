package dev.parley.push;

import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes committed changes: numbers each organization's events in its {@link EventLog} (one pipelined
 * round trip for a whole transaction, shared with the conversations' new state), then publishes them in order for the push hub
 * ({@link Addresses#PUSH}) and for in-process listeners ({@link Addresses#EVENTS}). Call it only after the
 * transaction has committed. If Redis cannot number the events, the organizations' clients are told to
 * reset and refetch, so none of them silently misses a change.
 */
public final class EventPublisher {
  private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);

  private final Vertx vertx;
  private final EventLog eventLog;

  public EventPublisher(Vertx vertx, EventLog eventLog) {
    this.vertx = vertx;
    this.eventLog = eventLog;
  }

  /** Numbers and publishes {@code events} in order. Never fails. */
  public Future<Void> publish(List<OrgEvent> events) {
    return publish(events, List.of()).mapEmpty();
  }

  /**
   * Runs {@code first} (other writes the events must follow, such as the conversations' new state) and numbers
   * {@code events}, all in one pipeline, then publishes the events in order. Never fails: the result says whether
   * Redis took the pipeline; if it did not, the organizations' clients are told to reset.
   */
  public Future<Boolean> publish(List<OrgEvent> events, List<Request> first) {
    if (events.isEmpty() && first.isEmpty()) {
      return Future.succeededFuture(true);
    }
    Map<UUID, List<OrgEvent>> byOrganization = new LinkedHashMap<>();
    for (OrgEvent event : events) {
      byOrganization.computeIfAbsent(event.organizationId(), id -> new ArrayList<>()).add(event);
    }
    long now = System.currentTimeMillis();
    List<UUID> organizations = List.copyOf(byOrganization.keySet());
    List<List<String>> tails = new ArrayList<>(organizations.size());
    List<Request> pipeline = new ArrayList<>(first.size() + organizations.size());
    pipeline.addAll(first);
    for (UUID organization : organizations) {
      List<String> orgTails = byOrganization.get(organization).stream()
          .map(event -> EventLog.tail(event.type(), event.data())).toList();
      tails.add(orgTails);
      pipeline.add(eventLog.append(organization, orgTails, now));
    }
    var bus = vertx.eventBus();
    return eventLog.run(pipeline)
        .map(responses -> {
          for (int i = 0; i < organizations.size(); i++) {
            long firstSeq = responses.get(first.size() + i).toLong();
            List<String> orgTails = tails.get(i);
            List<String> frames = new ArrayList<>(orgTails.size());
            for (int j = 0; j < orgTails.size(); j++) {
              frames.add(EventLog.frame(firstSeq + j, orgTails.get(j)));
            }
            // one push message per organization: its frames reach each socket in one event-loop turn
            bus.publish(Addresses.PUSH, frames.size() == 1
                ? PushMessage.sequenced(organizations.get(i), firstSeq, frames.get(0))
                : PushMessage.sequenced(organizations.get(i), firstSeq, frames));
          }
          return true;
        })
        .recover(failure -> {
          log.warn("events of {} organization(s) could not be numbered ({}); their clients will refetch",
              organizations.size(), failure.toString());
          organizations.forEach(organization -> bus.publish(Addresses.PUSH, PushMessage.reset(organization)));
          return Future.succeededFuture(false);
        })
        .onComplete(done -> events.forEach(event -> bus.publish(Addresses.EVENTS, event)));
  }

  /** Publishes unsequenced, targeted frames (see {@link PushMessage}): notifications, typing. */
  public void direct(List<JsonObject> messages) {
    messages.forEach(message -> vertx.eventBus().publish(Addresses.PUSH, message));
  }
}

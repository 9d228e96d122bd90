package dev.parley.media;

import dev.parley.bus.Addresses;
import dev.parley.bus.OrgEvent;
import dev.parley.config.ParleyConfig;
import dev.parley.conversation.Committer;
import dev.parley.provider.whatsapp.WhatsAppGraph;
import dev.parley.store.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches inbound media from the provider, at most {@code media.fetch_concurrency} files at once per node, never in
 * the webhook's path. Two triggers: {@code message.created} events of inbound media messages (fast), and a sweep
 * every {@code media.sweep_interval} (and at start) that claims media messages without a file row and files whose
 * retry is due or whose fetcher died (durable: a crash or a restart loses nothing). A file is claimed in PostgreSQL
 * before it is fetched, so nodes never fetch the same one at once. One instance per node; everything runs on its
 * event loop.
 */
public final class MediaFetcher extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(MediaFetcher.class);
  /** How long a claimed file stays with its fetcher before another may take it (a download of 100 MB fits). */
  static final Duration LEASE = Duration.ofMinutes(5);
  /** Messages announced by events and not claimed yet; beyond this the sweep finds them. */
  private static final int MAX_WANTED = 10_000;
  private static final Set<String> MEDIA_TYPES = Set.of("image", "video", "audio", "voice", "document", "sticker");

  private final Pool pool;
  private final Committer committer;
  private final MediaStorage storage;
  private final WhatsAppGraph graph;
  private final ParleyConfig.Media config;
  private InboundFetch fetch;
  private final MediaStore store = new MediaStore();
  private final Set<UUID> wanted = new LinkedHashSet<>();
  private MessageConsumer<OrgEvent> events;
  private long timer;
  /** Slots taken: files being fetched plus claims in flight. */
  private int busy;
  private boolean sweeping;
  /** The last sweep filled every free slot: more may be waiting, so sweep again when a slot frees. */
  private boolean more;

  public MediaFetcher(Pool pool, Committer committer, MediaStorage storage, WhatsAppGraph graph,
      ParleyConfig.Media config) {
    this.pool = pool;
    this.committer = committer;
    this.storage = storage;
    this.graph = graph;
    this.config = config;
  }

  @Override
  public Future<?> start() {
    fetch = new InboundFetch(vertx, pool, committer, storage, graph, config);
    events = vertx.eventBus().consumer(Addresses.EVENTS, this::onEvent);
    timer = vertx.setPeriodic(config.sweepInterval().toMillis(), id -> sweep());
    return events.completion().onSuccess(v -> sweep());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return events.unregister();
  }

  private void onEvent(Message<OrgEvent> message) {
    OrgEvent event = message.body();
    if (!OrgEvent.MESSAGE_CREATED.equals(event.type())) {
      return;
    }
    JsonObject data = event.data();
    JsonObject content = data.getJsonObject("content");
    if ("inbound".equals(data.getString("direction")) && MEDIA_TYPES.contains(data.getString("type"))
        && content != null && content.getString("media_id") != null && wanted.size() < MAX_WANTED) {
      wanted.add(UUID.fromString(data.getString("id")));
      pump();
    }
  }

  /** Claims announced messages while slots are free. */
  private void pump() {
    while (busy < config.fetchConcurrency() && !wanted.isEmpty()) {
      List<UUID> batch = new ArrayList<>();
      Iterator<UUID> it = wanted.iterator();
      while (it.hasNext() && batch.size() < config.fetchConcurrency() - busy) {
        batch.add(it.next());
        it.remove();
      }
      busy += batch.size();
      // one claim per announced batch, often a single message: its statement is planned once, not every time
      Database.onGenericPlans(pool, tx -> store.claimNew(tx, batch.toArray(UUID[]::new), batch.size(), LEASE))
          .onComplete(claimed -> {
            if (claimed.failed()) {
              log.warn("claiming media of {} message(s) failed ({}); the sweep will find them", batch.size(),
                  claimed.cause().toString());
            }
            List<MediaFile> files = claimed.succeeded() ? claimed.result() : List.of();
            busy -= batch.size() - files.size(); // messages another node claimed, or that have a file already
            files.forEach(this::run);
            pump();
          });
    }
  }

  /** Claims due retries and unclaimed media messages into the free slots. */
  private void sweep() {
    int free = config.fetchConcurrency() - busy;
    if (sweeping || free <= 0) {
      more = more || free <= 0;
      return;
    }
    sweeping = true;
    busy += free;
    store.claimDue(pool, free, LEASE)
        .compose(due -> due.size() >= free
            ? Future.succeededFuture(due)
            : store.claimNew(pool, null, free - due.size(), LEASE).map(fresh -> {
              List<MediaFile> all = new ArrayList<>(due);
              all.addAll(fresh);
              return all;
            }))
        .onComplete(claimed -> {
          sweeping = false;
          if (claimed.failed()) {
            log.warn("media sweep failed: {}", claimed.cause().toString());
          }
          List<MediaFile> files = claimed.succeeded() ? claimed.result() : List.of();
          busy -= free - files.size();
          more = files.size() == free;
          files.forEach(this::run);
          pump();
        });
  }

  private void run(MediaFile file) {
    fetch.fetch(file).onComplete(done -> {
      busy--;
      if (more) {
        sweep();
      }
      pump();
    });
  }
}

package dev.parley.template;

import dev.parley.provider.whatsapp.WhatsAppProvider;
import dev.parley.store.ChannelStore;
import dev.parley.store.TemplateStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every active WhatsApp channel's templates in step with the provider: at start and then every
 * {@code templates.sync_interval} it claims the channels not synced within that interval (one node gets each,
 * {@link TemplateStore#claimDue}) and syncs them one after the other. Channels without an access token or a WABA id
 * are never claimed. A failed sync is logged and recorded in the channel's health; the round goes on and the channel
 * is tried again next interval. Deploy one instance per node.
 */
public final class TemplateSyncVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(TemplateSyncVerticle.class);

  private final Pool pool;
  private final ChannelStore channels;
  private final TemplateSync sync;
  private final Duration interval;
  private final TemplateStore templates = new TemplateStore();
  private boolean running;

  public TemplateSyncVerticle(Pool pool, ChannelStore channels, TemplateSync sync, Duration interval) {
    this.pool = pool;
    this.channels = channels;
    this.sync = sync;
    this.interval = interval;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(1, interval.toMillis(), id -> round());
    return Future.succeededFuture();
  }

  private void round() {
    if (running) {
      return;
    }
    running = true;
    // a little short of the interval, so a round that starts a moment early still finds last round's channels due
    Duration due = interval.minus(interval.dividedBy(10));
    templates.claimDue(pool, WhatsAppProvider.NAME, due)
        .compose(this::syncAll)
        .onComplete(done -> {
          running = false;
          if (done.failed()) {
            log.warn("template sync round failed: {}", done.cause().toString());
          }
        });
  }

  private Future<Void> syncAll(List<UUID> ids) {
    Future<Void> chain = Future.succeededFuture();
    for (UUID id : ids) {
      chain = chain.compose(v -> channels.find(id)
          .compose(found -> found.filter(TemplateSync::syncable).map(sync::sync).orElse(Future.succeededFuture())
              .<Void>mapEmpty())
          .recover(failure -> {
            log.warn("templates of channel {} not synced: {}", id, TemplateSync.describe(failure));
            return Future.succeededFuture();
          }));
    }
    return chain;
  }
}

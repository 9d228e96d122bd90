package dev.parley.media;

import dev.parley.config.ParleyConfig;
import dev.parley.conversation.Committer;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The retention policy ({@code media.retention}): every {@code media.sweep_interval}, files past their
 * {@code expires_at} are marked {@code expired} (their messages show {@code media.state = "expired"}, with a
 * {@code message.updated} event) and, once that has committed, their bytes are deleted. A deletion that fails is
 * tried again by a later run. With retention {@code forever} no file gets an expiry, so nothing expires. One
 * instance per node; nodes share the work through row locks.
 */
public final class MediaRetention extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(MediaRetention.class);
  private static final int BATCH = 100;

  private final Pool pool;
  private final Committer committer;
  private final MediaStorage storage;
  private final ParleyConfig.Media config;
  private final MediaStore store = new MediaStore();
  private final MessageMedia messageMedia;
  private long timer;
  private boolean running;

  public MediaRetention(Pool pool, Committer committer, MediaStorage storage, ParleyConfig.Media config) {
    this.pool = pool;
    this.committer = committer;
    this.storage = storage;
    this.config = config;
    this.messageMedia = new MessageMedia(config.retention());
  }

  @Override
  public Future<?> start() {
    timer = vertx.setPeriodic(config.sweepInterval().toMillis(), id -> run());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  private void run() {
    if (running) {
      return;
    }
    running = true;
    expireAll()
        .compose(v -> store.undeleted(pool, BATCH))
        .compose(this::deleteBytes)
        .onFailure(failure -> log.warn("media retention run failed: {}", failure.toString()))
        .onComplete(done -> running = false);
  }

  /** Expires due files a batch per transaction until none is due. */
  private Future<Void> expireAll() {
    return committer.<List<MediaFile>>transaction((tx, changes) -> store.expireDue(tx, BATCH).compose(files -> {
          Future<Void> shown = Future.succeededFuture();
          for (MediaFile file : files) {
            shown = shown.compose(v -> messageMedia.show(tx, changes, file));
          }
          return shown.map(files);
        }))
        .compose(files -> {
          if (!files.isEmpty()) {
            log.info("{} media file(s) expired", files.size());
          }
          return deleteBytes(files).compose(v -> files.size() == BATCH ? expireAll() : Future.succeededFuture());
        });
  }

  private Future<Void> deleteBytes(List<MediaFile> files) {
    Future<Void> chain = Future.succeededFuture();
    for (MediaFile file : files) {
      if (file.storageKey() != null) {
        chain = chain.compose(v -> storage.delete(file.storageKey())
            .compose(deleted -> store.bytesDeleted(pool, file.id()))
            .recover(failure -> {
              log.warn("deleting expired media file {} failed ({}); tried again later", file.id(), failure.toString());
              return Future.succeededFuture();
            }));
      }
    }
    return chain;
  }
}

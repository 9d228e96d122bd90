package dev.parley.conversation;

import dev.parley.provider.ProviderRegistry;
import dev.parley.push.EventLog;
import dev.parley.push.EventPublisher;
import dev.parley.testing.TestApp;
import java.util.List;

/**
 * Applies batches of events straight through {@link InboundApplier} and {@link Committer} (one transaction, then
 * Redis and the events), as a projector does, without a webhook: for tests that build events rather than bodies.
 */
final class DirectApply {
  private final InboundApplier applier;
  private final Committer committer;

  DirectApply(TestApp app) {
    var pool = app.parley.pool();
    var config = app.parley.config();
    var publisher = new EventPublisher(app.parley.vertx(), new EventLog(app.parley.redis(), app.keys(), config.push()));
    this.applier = new InboundApplier(pool, ProviderRegistry.standard(), config.conversation().serviceWindow());
    this.committer = new Committer(pool, app.cache(), publisher, new StateRebuilder(pool, app.cache()));
  }

  /** Applies {@code batches} in one transaction; each batch's result. */
  List<ApplyResult> apply(List<InboundBatch> batches) {
    return applier.apply(batches)
        .compose(changes -> committer.afterCommit(Changes.combined(changes)).map(changes))
        .map(changes -> changes.stream().map(Changes::result).toList())
        .await();
  }

  ApplyResult apply(InboundBatch batch) {
    return apply(List.of(batch)).get(0);
  }

  /** Applies {@code batch} and answers the first row of {@code sql}, run first in the same transaction. */
  io.vertx.sqlclient.Row applyWith(InboundBatch batch, String sql) {
    var row = new java.util.concurrent.atomic.AtomicReference<io.vertx.sqlclient.Row>();
    applier.apply(List.of(batch), tx -> tx.query(sql).execute().map(rows -> {
          row.set(rows.iterator().next());
          return (Void) null;
        }))
        .compose(changes -> committer.afterCommit(Changes.combined(changes)))
        .await();
    return row.get();
  }
}

package dev.parley.conversation;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for small, independent units of work (such as recording that the provider accepted a message), on a
 * {@link GroupQueue}: up to {@code transactions} transactions run at once, and the units submitted meanwhile wait
 * and go together into the next one, their statements pipelined on its connection. Under load many units share one commit; a
 * lone unit never waits for company. Each unit keeps its own {@link Changes}, published after the commit by the
 * {@link Committer}. When a group fails, each of its units is run again alone, so one unit's failure fails only
 * that unit. Units of one group must not touch the same rows. Confined to the event loop that creates it.
 */
public final class TransactionGroups {
  private static final Logger log = LoggerFactory.getLogger(TransactionGroups.class);

  private final Pool pool;
  private final Committer committer;
  private final GroupQueue<Unit<?>> units;

  public TransactionGroups(Pool pool, Committer committer, int transactions, int maxUnits) {
    this.pool = pool;
    this.committer = committer;
    this.units = new GroupQueue<>(transactions, maxUnits, unit -> 1, this::run);
  }

  /** Runs {@code work} in the next group's transaction; its result once that committed and its changes are out. */
  public <T> Future<T> submit(BiFunction<SqlConnection, Changes, Future<T>> work) {
    var unit = new Unit<>(work, Promise.<T>promise());
    units.add(unit);
    return unit.done.future();
  }

  /** Never fails: every unit's promise is completed. */
  private Future<Void> run(List<Unit<?>> group) {
    if (group.size() == 1) {
      group.get(0).alone(committer);
      return group.get(0).done.future().otherwiseEmpty().mapEmpty();
    }
    List<Changes> changes = new ArrayList<>(group.size());
    return pool.<List<Object>>withTransaction(tx -> {
          List<Future<?>> results = new ArrayList<>(group.size());
          for (Unit<?> unit : group) {
            var unitChanges = new Changes();
            changes.add(unitChanges);
            results.add(unit.work.apply(tx, unitChanges));
          }
          return Future.all(results).map(all -> all.list());
        })
        .compose(results -> committer.afterCommit(Changes.combined(changes)).map(results))
        .compose(results -> {
          for (int i = 0; i < group.size(); i++) {
            group.get(i).complete(results.get(i));
          }
          return Future.<Void>succeededFuture();
        }, failure -> {
          log.info("group of {} units failed ({}); running each alone", group.size(), failure.toString());
          group.forEach(unit -> unit.alone(committer));
          return Future.join(group.stream().map(unit -> unit.done.future()).toList()).otherwiseEmpty().mapEmpty();
        });
  }

  private record Unit<T>(BiFunction<SqlConnection, Changes, Future<T>> work, Promise<T> done) {
    @SuppressWarnings("unchecked")
    void complete(Object result) {
      done.complete((T) result);
    }

    void alone(Committer committer) {
      committer.transaction(work).onComplete(done);
    }
  }
}

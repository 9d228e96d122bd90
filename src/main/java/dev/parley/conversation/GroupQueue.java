package dev.parley.conversation;

import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The queue behind group commit: up to {@code concurrency} groups run at once; items added meanwhile wait and go
 * together into the next group, up to {@code maxWeight} (an item heavier than that still goes, alone). Under load
 * many items share one group, while a lone item never waits for company. Confined to one event loop.
 */
final class GroupQueue<T> {
  private final int concurrency;
  private final int maxWeight;
  private final ToIntFunction<T> weight;
  private final Function<List<T>, Future<?>> run;
  private final Deque<T> waiting = new ArrayDeque<>();
  private int running;

  /** {@code run} handles one group; the group's slot is free again when its future completes. */
  GroupQueue(int concurrency, int maxWeight, ToIntFunction<T> weight, Function<List<T>, Future<?>> run) {
    this.concurrency = concurrency;
    this.maxWeight = maxWeight;
    this.weight = weight;
    this.run = run;
  }

  void add(T item) {
    waiting.add(item);
    start();
  }

  private void start() {
    while (running < concurrency && !waiting.isEmpty()) {
      List<T> group = new ArrayList<>();
      int total = 0;
      while (!waiting.isEmpty() && (group.isEmpty() || total + weight.applyAsInt(waiting.peek()) <= maxWeight)) {
        T next = waiting.poll();
        group.add(next);
        total += weight.applyAsInt(next);
      }
      running++;
      run.apply(group).onComplete(done -> {
        running--;
        start();
      });
    }
  }
}

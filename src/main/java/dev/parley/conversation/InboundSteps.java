package dev.parley.conversation;

import dev.parley.conversation.InboundBatch.Routed;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Function;

/** A step shared by the inbound phases ({@link InboundApplier}, {@link InboundMessages}, {@link InboundStatuses}). */
final class InboundSteps {
  private InboundSteps() {}

  /** Applies {@code step} to each event of {@code group}, each once the one before it has succeeded. */
  static Future<Void> inOrder(List<Routed> group, Function<Routed, Future<Void>> step) {
    Future<Void> chain = Future.succeededFuture();
    for (Routed routed : group) {
      chain = chain.compose(v -> step.apply(routed));
    }
    return chain;
  }
}

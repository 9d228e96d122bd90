package dev.parley.conversation;

import dev.parley.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

/**
 * Answers {@link Addresses#CONVERSATION_REBUILD_STATE}: rebuilds the conversations' derived state in Redis from
 * PostgreSQL (operators, tests). Inbound events are applied by the {@link Projector} shards.
 */
public final class ConversationStateVerticle extends VerticleBase {
  private final StateRebuilder rebuilder;

  public ConversationStateVerticle(StateRebuilder rebuilder) {
    this.rebuilder = rebuilder;
  }

  @Override
  public Future<?> start() {
    return vertx.eventBus().consumer(Addresses.CONVERSATION_REBUILD_STATE, this::onRebuild).completion();
  }

  private void onRebuild(Message<Object> message) {
    rebuilder.rebuild().onComplete(done -> {
      if (done.succeeded()) {
        message.reply(done.result());
      } else {
        message.fail(503, done.cause().getMessage());
      }
    });
  }
}

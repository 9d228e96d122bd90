package dev.parley.ingest;

import dev.parley.channel.Channel;
import dev.parley.channel.ChannelDirectory;
import dev.parley.conversation.InboundBatch;
import dev.parley.provider.InboundEvent;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes a webhook's events: each goes to the channel of the webhook's organization whose provider account its
 * routing key names; an event for an account the organization does not own is logged and skipped, never stored
 * under the wrong channel. Confined to one event loop, like its {@link ChannelDirectory}.
 */
final class EventRouter {
  private static final Logger log = LoggerFactory.getLogger(EventRouter.class);

  private final ChannelDirectory directory;

  EventRouter(ChannelDirectory directory) {
    this.directory = directory;
  }

  Future<List<InboundBatch.Routed>> route(String provider, Channel channel, List<InboundEvent> events) {
    List<InboundBatch.Routed> routed = new ArrayList<>(events.size());
    Future<Void> chain = Future.succeededFuture();
    for (InboundEvent event : events) {
      if (event.routingKey().equals(channel.externalId())) {
        chain = chain.map(v -> {
          routed.add(new InboundBatch.Routed(channel, event));
          return null;
        });
        continue;
      }
      chain = chain.compose(v -> directory.byExternalId(channel.organizationId(), provider, event.routingKey())
          .map(other -> {
            if (other.isPresent() && other.get().active()) {
              routed.add(new InboundBatch.Routed(other.get(), event));
            } else {
              log.warn("skipping {} event for {} account {}: organization {} has no such channel",
                  provider, provider, event.routingKey(), channel.organizationId());
            }
            return null;
          }));
    }
    return chain.map(routed);
  }
}

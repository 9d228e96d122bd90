package dev.parley.conversation;

import dev.parley.channel.Channel;
import dev.parley.provider.InboundEvent;
import java.util.List;

/**
 * The verified, parsed events of one webhook, each with the channel it routed to. Applied in one transaction:
 * all of it is stored, or none of it and the webhook is answered 503.
 */
public record InboundBatch(String provider, List<Routed> events) {

  /** An event and the channel (of the webhook's organization) its routing key named. */
  public record Routed(Channel channel, InboundEvent event) {}
}

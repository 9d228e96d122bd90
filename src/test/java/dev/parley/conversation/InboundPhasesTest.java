package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parley.channel.Channel;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How one webhook's events are split into phases of groups that may be applied concurrently. */
class InboundPhasesTest {
  private static final Channel CHANNEL =
      new Channel(UUID.randomUUID(), UUID.randomUUID(), "whatsapp", "Sales", "1065", true, null);
  private static final Instant T = Instant.parse("2026-11-21T10:00:00Z");

  @Test
  void oneSendersMessagesStayInOrderAndOtherSendersGetTheirOwnGroups() {
    Routed a2 = message("wamid.a2", "4915100000001", T.plusSeconds(2));
    Routed b1 = message("wamid.b1", "4915100000002", T.plusSeconds(1));
    Routed a1 = message("wamid.a1", "4915100000001", T.plusSeconds(1));
    Routed readX = status("wamid.x", "read", T.plusSeconds(5));
    Routed sentY = status("wamid.y", "sent", T.plusSeconds(3));
    Routed deliveredX = status("wamid.x", "delivered", T.plusSeconds(4));
    Routed reaction = new Routed(CHANNEL, new InboundEvent.Reaction("1065", "wamid.r", "wamid.out", "👍",
        T.plusSeconds(6), sender("4915100000001")));

    var phases = InboundApplier.phases(InboundApplier.ordered(List.of(readX, a2, reaction, b1, sentY,
        deliveredX, a1)));

    assertEquals(List.of(
        List.of(List.of(a1, a2), List.of(b1)),          // messages: per sender, by time
        List.of(List.of(reaction)),                      // reactions after the messages they may name
        List.of(List.of(readX, deliveredX), List.of(sentY))), phases); // statuses: per message, in arrival order
  }

  @Test
  void noEventsNoPhases() {
    assertEquals(List.of(), InboundApplier.phases(List.of()));
  }

  private static Routed message(String id, String from, Instant at) {
    return new Routed(CHANNEL, new InboundEvent.Message("1065", id, at, sender(from), "text", "hi",
        new JsonObject().put("text", "hi"), null, new JsonObject()));
  }

  private static Routed status(String id, String status, Instant at) {
    return new Routed(CHANNEL, new InboundEvent.Status("1065", id, status, at, "4915100000001", null, null,
        new JsonObject()));
  }

  private static InboundEvent.Sender sender(String waId) {
    return new InboundEvent.Sender(waId, "+" + waId, null, "Customer", null);
  }
}

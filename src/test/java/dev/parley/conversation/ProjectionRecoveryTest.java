package dev.parley.conversation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What the inbound log holds beyond a projector's position is projected: by the same node's slot at its next start
 * (a crash between the acknowledgement and the projection), and by a running node that adopts the slot of a node
 * that died.
 */
class ProjectionRecoveryTest {

  @Test
  void aRestartedNodeProjectsWhatItAcknowledgedButHadNotProjected() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    TestApp first = TestApp.start(Map.of());
    TestApp second = null;
    try {
      int slot = first.parley.inbound().slot();
      String wamid = "wamid.recover." + run;
      // what a kill -9 between the log's commit and the projection leaves: a row beyond the slot's positions (the
      // running node never hears of a row written behind its back)
      logRow(first, slot, WhatsAppPayloads.text("4915300000001", "Left Over", wamid, TestApp.now(), "still here?"));
      first.stop();

      second = TestApp.join(first, Map.of());
      assertEquals(slot, second.parley.inbound().slot(), "the slot is free again once its node is gone");
      assertEquals(1, second.sql("SELECT 1 FROM messages WHERE provider_message_id = $1", wamid).size(),
          "projected before the node took webhooks");
      long position = second.one("SELECT max(position) FROM inbound_projection WHERE slot = $1", slot).getLong(0);
      assertEquals(second.one("SELECT max(id) FROM inbound_log").getLong(0), position);
    } finally {
      if (second != null) {
        second.close();
      }
      first.close();
    }
  }

  @Test
  void aRunningNodeAdoptsTheSlotOfANodeThatDied() {
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (TestApp app = TestApp.start(Map.of())) {
      int dead = app.parley.inbound().slot() + 7;
      app.sql("INSERT INTO inbound_projection (slot, shard, shards, position) VALUES ($1, 0, 1, 0)", dead);
      String wamid = "wamid.adopt." + run;
      long id = logRow(app, dead, WhatsAppPayloads.text("4915300000002", "Orphan", wamid, TestApp.now(), "anyone?"));

      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (System.nanoTime() < deadline
          && app.sql("SELECT 1 FROM messages WHERE provider_message_id = $1", wamid).isEmpty()) {
        TestApp.sleep(100);
      }
      assertEquals(1, app.sql("SELECT 1 FROM messages WHERE provider_message_id = $1", wamid).size(),
          "the dead node's acknowledged webhook is projected");
      TestApp.sleep(200);
      assertTrue(app.one("SELECT position FROM inbound_projection WHERE slot = $1", dead).getLong(0) >= id,
          "and its slot's position moved past it");
    }
  }

  /** A committed log row under {@code slot}, as the group committer writes it; its id. */
  private static long logRow(TestApp app, int slot, String body) {
    return app.one("""
            INSERT INTO inbound_log (slot, received_at, organization_id, channel_id, provider, body)
            VALUES ($1, $2, $3, $4, 'whatsapp', $5) RETURNING id""",
        slot, OffsetDateTime.now(ZoneOffset.UTC), app.organizationId(), TestApp.CHANNEL_ID, Buffer.buffer(body))
        .getLong(0);
  }
}

package dev.parley.demo;

import dev.parley.auth.PasswordHasher;
import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.whatsapp.WhatsAppProvider;
import dev.parley.simulator.SimulatedNumber;
import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the first start (no organization yet) creates a demo organization, an admin, an agent and a WhatsApp channel
 * from {@link ParleyConfig.Demo}, so a newcomer can post a webhook and watch it land. Later starts leave the
 * database alone.
 */
public final class DemoBootstrap {
  private static final Logger log = LoggerFactory.getLogger(DemoBootstrap.class);

  private DemoBootstrap() {}

  private static final String ANY_ORGANIZATION = "SELECT 1 FROM organizations LIMIT 1";
  private static final String POINT_AT_SIMULATOR = """
      UPDATE channels SET credentials = credentials || $2, updated_at = now() WHERE id = $1 AND provider = 'whatsapp'
      """;

  /** The Graph API token the demo channel holds and the built-in provider simulator expects for the demo number. */
  public static final String SIMULATOR_ACCESS_TOKEN = "parley-demo-access-token";

  /** Completes with true when it created the demo, false when the database already had an organization. */
  public static Future<Boolean> ensure(Vertx vertx, Pool pool, ChannelStore channels, ParleyConfig.Demo demo) {
    return pool.query(ANY_ORGANIZATION).execute().compose(existing -> existing.rowCount() > 0
        ? Future.succeededFuture(false)
        // the slow hash runs only when the demo is created, and off the event loop
        : vertx.executeBlocking(() -> List.of(PasswordHasher.hash(demo.adminPassword()), PasswordHasher.hash(demo.agentPassword())))
            .compose(hashes -> create(pool, channels, demo, hashes.get(0), hashes.get(1))));
  }

  /**
   * Points the demo channel (if it exists) at the built-in simulator: its {@code api_base_url} becomes
   * {@code simulatorUrl}, it holds {@link #SIMULATOR_ACCESS_TOKEN} and the simulated number's WABA id (whose
   * templates the simulator lists). Done on every start, since the simulator's
   * port may change.
   */
  public static Future<Void> useSimulator(Pool pool, ParleyConfig.Demo demo, String simulatorUrl) {
    return pool.preparedQuery(POINT_AT_SIMULATOR)
        .execute(Tuple.of(demo.channelId(), new JsonObject()
            .put(ChannelSecrets.ACCESS_TOKEN, SIMULATOR_ACCESS_TOKEN)
            .put(ChannelSecrets.WABA_ID, SimulatedNumber.defaultWabaId(demo.phoneNumberId()))
            .put(ChannelSecrets.API_BASE_URL, simulatorUrl)))
        .mapEmpty();
  }

  /** The demo number as the simulator knows it: its status webhooks go to this node's webhook route. */
  public static SimulatedNumber simulatedNumber(ParleyConfig.Demo demo, int httpPort) {
    return new SimulatedNumber(demo.phoneNumberId(), demo.displayPhoneNumber(), SIMULATOR_ACCESS_TOKEN,
        demo.appSecret(), "http://127.0.0.1:" + httpPort + "/webhooks/whatsapp/" + demo.channelId(), null,
        SimulatedNumber.DEFAULT_THROUGHPUT, true);
  }

  /** Saved replies a newcomer can try in the inbox's composer (type {@code /} and the short code). */
  private static Future<Void> cannedResponses(SqlClient tx, UUID organization) {
    List<Tuple> rows = List.of(
        Tuple.of(UUID.randomUUID(), organization, "hello", "Greeting",
            "Hi {{contact.first_name}}, thanks for writing! I'm {{agent.name}}. How can I help?"),
        Tuple.of(UUID.randomUUID(), organization, "shipping", "Shipping times",
            "Orders ship within *one business day*; delivery takes 2 to 4 days."),
        Tuple.of(UUID.randomUUID(), organization, "bye", "Closing",
            "Glad I could help, {{contact.first_name}}. Have a great day!"));
    return tx.preparedQuery("""
            INSERT INTO canned_responses (id, organization_id, short_code, title, body, created_by_type)
            VALUES ($1, $2, $3, $4, $5, 'service')""")
        .executeBatch(rows)
        .mapEmpty();
  }

  private static Future<Boolean> create(
      Pool pool, ChannelStore channels, ParleyConfig.Demo demo, String adminHash, String agentHash) {
    // checked again inside the transaction: another node may have created it meanwhile
    return pool.withTransaction(tx -> tx.query(ANY_ORGANIZATION).execute().compose(rows -> {
      if (rows.rowCount() > 0) {
        return Future.succeededFuture(false);
      }
      UUID organization = UUID.randomUUID();
      var channel = new Channel(demo.channelId(), organization, WhatsAppProvider.NAME, "Demo WhatsApp",
          demo.phoneNumberId(), true, new ChannelSecrets(new JsonObject()
              .put(ChannelSecrets.APP_SECRET, demo.appSecret())
              .put(ChannelSecrets.VERIFY_TOKEN, demo.verifyToken())
              .put(ChannelSecrets.ACCESS_TOKEN, SIMULATOR_ACCESS_TOKEN)));
      return tx.preparedQuery("INSERT INTO organizations (id, name) VALUES ($1, $2)")
          .execute(Tuple.of(organization, demo.organizationName()))
          .compose(v -> tx.preparedQuery(
                  "INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, 'admin', $5)")
              .execute(Tuple.of(UUID.randomUUID(), organization, demo.adminEmail(), "Demo Admin", adminHash)))
          .compose(v -> tx.preparedQuery(
                  "INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, 'agent', $5)")
              .execute(Tuple.of(UUID.randomUUID(), organization, demo.agentEmail(), "Demo Agent", agentHash)))
          .compose(v -> channels.create(tx, channel, demo.displayPhoneNumber()))
          .compose(v -> cannedResponses(tx, organization))
          .map(v -> {
            log.info("created the demo organization, admin {}, agent {} and WhatsApp channel {}",
                demo.adminEmail(), demo.agentEmail(), demo.channelId());
            return true;
          });
    }));
  }
}

package dev.parley.demo;

import dev.parley.auth.PasswordHasher;
import dev.parley.channel.Channel;
import dev.parley.config.ParleyConfig;
import dev.parley.provider.ChannelSecrets;
import dev.parley.provider.whatsapp.WhatsAppProvider;
import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the first start (no organization yet) creates a demo organization, an admin user and a WhatsApp channel
 * from {@link ParleyConfig.Demo}, so a newcomer can post a webhook and watch it land. Later starts leave the
 * database alone.
 */
public final class DemoBootstrap {
  private static final Logger log = LoggerFactory.getLogger(DemoBootstrap.class);

  private DemoBootstrap() {}

  /** Completes with true when it created the demo, false when the database already had an organization. */
  public static Future<Boolean> ensure(Pool pool, ChannelStore channels, ParleyConfig.Demo demo, String passwordHash) {
    return pool.withTransaction(tx -> tx.query("SELECT 1 FROM organizations LIMIT 1").execute().compose(rows -> {
      if (rows.rowCount() > 0) {
        return Future.succeededFuture(false);
      }
      UUID organization = UUID.randomUUID();
      var channel = new Channel(demo.channelId(), organization, WhatsAppProvider.NAME, "Demo WhatsApp",
          demo.phoneNumberId(), true, new ChannelSecrets(new JsonObject()
              .put(ChannelSecrets.APP_SECRET, demo.appSecret())
              .put(ChannelSecrets.VERIFY_TOKEN, demo.verifyToken())));
      return tx.preparedQuery("INSERT INTO organizations (id, name) VALUES ($1, $2)")
          .execute(Tuple.of(organization, demo.organizationName()))
          .compose(v -> tx.preparedQuery(
                  "INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, $4, 'admin', $5)")
              .execute(Tuple.of(UUID.randomUUID(), organization, demo.adminEmail(), "Demo Admin", passwordHash)))
          .compose(v -> channels.create(tx, channel, demo.displayPhoneNumber()))
          .map(v -> {
            log.info("created the demo organization, admin {} and WhatsApp channel {}", demo.adminEmail(), demo.channelId());
            return true;
          });
    }));
  }

  /** Hashing is slow on purpose; done before the transaction, off the event loop. */
  public static String hashPassword(ParleyConfig.Demo demo) {
    return PasswordHasher.hash(demo.adminPassword());
  }
}

package dev.parley.tools;

import dev.parley.auth.PasswordHasher;
import dev.parley.config.ConfigLoader;
import dev.parley.config.ParleyConfig;
import dev.parley.infra.EmbeddedStores;
import dev.parley.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Generates a large data set for benchmarks and query-plan checks: a new organization with an admin, agents and
 * a WhatsApp channel, and N conversations (one contact each) holding M messages in all, with realistic spreads:
 * activity over the last 30 days, four in five open, most assigned, some unread, some labelled, mixed
 * directions and statuses, searchable bodies. Written set-based ({@code generate_series}) in batches, so a
 * million messages take seconds to minutes, not hours.
 *
 * <p>Run it with the server's configuration (stop an embedded-database server first, they share its files):
 * {@code java -cp target/parley.jar dev.parley.tools.Dataset --conversations 100000 --messages 1000000}.
 */
public final class Dataset {
  private static final int BATCH = 10_000;

  private Dataset() {}

  /** What was generated, and how to sign in to see it. */
  public record Generated(UUID organizationId, UUID channelId, String adminEmail, String adminPassword,
      List<UUID> agentIds, int conversations, long messages, Duration took) {
    @Override
    public String toString() {
      return "organization " + organizationId + ": " + conversations + " conversations, " + messages
          + " messages in " + took.toSeconds() + " s; sign in as " + adminEmail + " / " + adminPassword;
    }
  }

  public static Generated generate(String pgUrl, int conversations, long messages, int agents) throws SQLException {
    if (conversations < 1 || messages < conversations || agents < 1) {
      throw new IllegalArgumentException("need at least one conversation, one message per conversation and one agent");
    }
    long started = System.nanoTime();
    String tag = UUID.randomUUID().toString().substring(0, 8);
    UUID organization = UUID.randomUUID();
    UUID channel = UUID.randomUUID();
    String adminEmail = "dataset-" + tag + "@parley.local";
    String password = "parley-dataset";
    String hash = PasswordHasher.hash(password);
    List<UUID> agentIds = new ArrayList<>();
    try (Connection db = Database.connect(pgUrl)) {
      db.setAutoCommit(false);
      update(db, "INSERT INTO organizations (id, name) VALUES (?, ?)", organization, "Dataset " + tag);
      update(db, "INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES (?, ?, ?, ?, 'admin', ?)",
          UUID.randomUUID(), organization, adminEmail, "Dataset Admin", hash);
      for (int i = 1; i <= agents; i++) {
        UUID agent = UUID.randomUUID();
        agentIds.add(agent);
        update(db, "INSERT INTO users (id, organization_id, email, name, role, password_hash) VALUES (?, ?, ?, ?, 'agent', ?)",
            agent, organization, "dataset-" + tag + "-agent" + i + "@parley.local", "Agent " + i, hash);
      }
      update(db, "INSERT INTO channels (id, organization_id, provider, name, external_id, credentials) "
              + "VALUES (?, ?, 'whatsapp', ?, ?, '{\"app_secret\":\"dataset-secret\"}'::jsonb)",
          channel, organization, "Dataset " + tag, "dataset-" + tag);
      db.commit();

      long perConversation = messages / conversations;
      long extra = messages % conversations; // the first `extra` conversations get one more
      UUID[] agentArray = agentIds.toArray(UUID[]::new);
      for (int from = 1; from <= conversations; from += BATCH) {
        int to = Math.min(conversations, from + BATCH - 1);
        batch(db, tag, organization, channel, agentArray, from, to, perConversation, extra);
        db.commit();
      }
      try (var analyze = db.createStatement()) {
        db.setAutoCommit(true);
        analyze.execute("ANALYZE contacts, contact_identities, conversations, messages");
      }
    }
    return new Generated(organization, channel, adminEmail, password, agentIds, conversations, messages,
        Duration.ofNanos(System.nanoTime() - started));
  }

  /** Contacts, identities, conversations and their messages for conversation numbers {@code from..to}. */
  private static void batch(Connection db, String tag, UUID organization, UUID channel, UUID[] agents, int from, int to,
      long perConversation, long extra) throws SQLException {
    // deterministic ids from (tag, n) so each table can refer to the others without a round trip
    String contact = "md5('c' || ? || g)::uuid";
    update(db, "INSERT INTO contacts (id, organization_id, name, mobile_number, address, preference, created_at) "
            + "SELECT " + contact + ", ?, 'Customer ' || g, '+1' || (2000000000 + g)::text, '{\"country\":\"US\"}'::jsonb, "
            + "CASE WHEN g % 3 = 0 THEN 'proactive' ELSE 'reactive' END, now() - (g % 43200) * interval '1 minute' "
            + "FROM generate_series(?, ?) g",
        tag, organization, from, to);
    update(db, "INSERT INTO contact_identities (id, organization_id, contact_id, channel_id, external_id, profile_name) "
            + "SELECT md5('i' || ? || g)::uuid, ?, " + contact + ", ?, '1' || (2000000000 + g)::text, 'Customer ' || g "
            + "FROM generate_series(?, ?) g",
        tag, organization, tag, channel, from, to);
    // activity spread over 30 days; 4 in 5 open; 1 in 5 unassigned; 1 in 4 unread; 1 in 10 labelled vip. Agents take
    // runs of five, so each has open and closed conversations in the same proportion (g % agents would give an agent
    // only closed ones or only open ones). A service window that expired before now was announced then, as a running
    // server would have done: both notices are recorded as fired.
    update(db, "INSERT INTO conversations (id, organization_id, channel_id, contact_id, status, assignee_id, unread_count, "
            + "last_message_id, last_message_at, last_inbound_at, window_expires_at, window_closing_fired, "
            + "window_closed_fired, labels, created_at) "
            + "SELECT md5('v' || ? || g)::uuid, ?, ?, " + contact + ", "
            + "CASE WHEN g % 5 = 0 THEN 'closed' ELSE 'open' END, "
            + "CASE WHEN g % 5 = 1 THEN NULL ELSE (?::uuid[])[1 + (g / 5) % array_length(?::uuid[], 1)] END, "
            + "CASE WHEN g % 4 = 0 THEN 1 + g % 7 ELSE 0 END, "
            + "md5('m' || ? || g || ':0')::uuid, t.at, t.at, t.at + interval '24 hours', "
            + "CASE WHEN t.at + interval '24 hours' < now() THEN t.at + interval '24 hours' END, "
            + "CASE WHEN t.at + interval '24 hours' < now() THEN t.at + interval '24 hours' END, "
            + "CASE WHEN g % 10 = 0 THEN ARRAY['vip'] ELSE '{}'::text[] END, t.at - interval '1 day' "
            + "FROM generate_series(?, ?) g, LATERAL (SELECT now() - (g * 7919 % 2592000) * interval '1 second' AS at) t",
        tag, organization, channel, tag, agents, agents, tag, from, to);
    // message k = 0 is the newest; inbound and outbound alternate, one minute apart
    update(db, "INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, "
            + "provider_message_id, sender_type, status, sent_at) "
            + "SELECT md5('m' || ? || g || ':' || k)::uuid, ?, md5('v' || ? || g)::uuid, ?, "
            + "CASE WHEN k % 2 = 0 THEN 'inbound' ELSE 'outbound' END, 'text', "
            + "CASE WHEN k % 2 = 0 THEN 'Hello, about my order ' ELSE 'Thanks, your order ' END || (g * 31 + k) % 99991 "
            + "|| CASE WHEN k % 5 = 0 THEN ' invoice' WHEN k % 5 = 1 THEN ' delivery' ELSE ' question' END, "
            + "'wamid.dataset.' || ? || '.' || g || '.' || k, "
            + "CASE WHEN k % 2 = 0 THEN 'contact' ELSE 'agent' END, "
            + "CASE WHEN k % 2 = 0 THEN 'received' WHEN k % 7 = 1 THEN 'delivered' ELSE 'read' END, "
            + "now() - (g * 7919 % 2592000) * interval '1 second' - k * interval '1 minute' "
            + "FROM generate_series(?, ?) g, generate_series(0, ? - 1 + CASE WHEN g <= ? THEN 1 ELSE 0 END) k",
        tag, organization, tag, channel, tag, from, to, perConversation, extra);
  }

  private static void update(Connection db, String sql, Object... params) throws SQLException {
    try (PreparedStatement statement = db.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        Object param = params[i];
        if (param instanceof UUID[] uuids) {
          statement.setArray(i + 1, db.createArrayOf("uuid", uuids));
        } else {
          statement.setObject(i + 1, param);
        }
      }
      statement.executeUpdate();
    }
  }

  public static void main(String[] args) throws Exception {
    int conversations = 100_000;
    long messages = 1_000_000;
    int agents = 20;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--conversations" -> conversations = Integer.parseInt(args[i + 1]);
        case "--messages" -> messages = Long.parseLong(args[i + 1]);
        case "--agents" -> agents = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (use --conversations N --messages M --agents A)");
      }
    }
    ParleyConfig config = ConfigLoader.load();
    String url = config.postgres().url();
    EmbeddedStores embedded = null;
    if (config.postgres().embedded()) { // same data directory as Parley: same lock, same leftover handling
      embedded = EmbeddedStores.open(config.dataDir());
      url = embedded.startPostgres().url("parley");
    }
    try {
      Database.prepare(url);
      System.out.println("generated " + generate(url, conversations, messages, agents));
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }
}

package dev.parley.bench;

import dev.parley.auth.AccessTokens;
import dev.parley.store.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Organizations, WhatsApp channels and agents written straight to PostgreSQL (as an operator's provisioning would),
 * and access tokens signed with the server's JWT secret, so setting up a thousand agents takes no sign-ins.
 */
final class Fixtures {
  static final String JWT_SECRET = "parley-benchmark-jwt-secret-0123456789abcdef";
  static final String APP_SECRET = "parley-benchmark-app-secret";
  static final String ACCESS_TOKEN = "parley-benchmark-access-token";

  /** A WhatsApp channel: its id (the webhook path), the number's id (the routing key) and the display number. */
  record BenchChannel(UUID id, UUID organizationId, String phoneNumberId, String displayNumber) {
    String webhookPath() {
      return "/webhooks/whatsapp/" + id;
    }
  }

  /** An organization with its channels and agents (admins first). */
  record Org(UUID id, List<BenchChannel> channels, List<UUID> agents, List<String> tokens) {}

  private final String pgUrl;
  private final AccessTokens tokens;
  private int numbers;

  Fixtures(Vertx vertx, String pgUrl) {
    this.pgUrl = pgUrl;
    this.tokens = new AccessTokens(vertx, JWT_SECRET, Duration.ofHours(12));
  }

  /**
   * A new organization with {@code channels} WhatsApp channels whose provider calls go to {@code apiBaseUrl} (may be
   * null) and {@code agents} users (the first an admin), with a token each.
   */
  Org organization(String name, int channels, int agents, String apiBaseUrl) throws SQLException {
    UUID org = UUID.randomUUID();
    var channelList = new ArrayList<BenchChannel>();
    var agentList = new ArrayList<UUID>();
    var tokenList = new ArrayList<String>();
    try (Connection db = Database.connect(pgUrl)) {
      db.setAutoCommit(false);
      update(db, "INSERT INTO organizations (id, name) VALUES (?, ?)", org, name);
      for (int i = 0; i < channels; i++) {
        UUID channel = UUID.randomUUID();
        int n = ++numbers;
        String phoneNumberId = Long.toString(300_000_000_000_000L + n);
        String display = "1555" + String.format("%07d", n);
        var credentials = new JsonObject().put("app_secret", APP_SECRET).put("verify_token", "bench")
            .put("access_token", ACCESS_TOKEN);
        if (apiBaseUrl != null) {
          credentials.put("api_base_url", apiBaseUrl);
        }
        try (PreparedStatement insert = db.prepareStatement("INSERT INTO channels (id, organization_id, provider, name, "
            + "external_id, display_address, credentials) VALUES (?, ?, 'whatsapp', ?, ?, ?, ?::jsonb)")) {
          insert.setObject(1, channel);
          insert.setObject(2, org);
          insert.setString(3, name + " number " + (i + 1));
          insert.setString(4, phoneNumberId);
          insert.setString(5, display);
          insert.setString(6, credentials.encode());
          insert.executeUpdate();
        }
        channelList.add(new BenchChannel(channel, org, phoneNumberId, display));
      }
      for (int i = 0; i < agents; i++) {
        UUID user = UUID.randomUUID();
        String role = i == 0 ? "admin" : "agent";
        update(db, "INSERT INTO users (id, organization_id, email, name, role) VALUES (?, ?, ?, ?, ?)",
            user, org, "agent" + i + "-" + org + "@bench.parley.local", "Agent " + i, role);
        agentList.add(user);
        tokenList.add(tokens.issue(user, org, role, "Agent " + i));
      }
      db.commit();
    }
    return new Org(org, channelList, agentList, tokenList);
  }

  /** A token for an existing user (the conversation-list data set's admin). */
  String token(UUID user, UUID organization, String role) {
    return tokens.issue(user, organization, role, "Benchmark");
  }

  private static void update(Connection db, String sql, Object... values) throws SQLException {
    try (PreparedStatement statement = db.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        statement.setObject(i + 1, values[i]);
      }
      statement.executeUpdate();
    }
  }
}

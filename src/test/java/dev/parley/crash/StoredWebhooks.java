package dev.parley.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.testing.TestApp;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * What PostgreSQL holds of a {@link WebhookLoad}, read over JDBC (outside Parley): each message's copies, and each
 * customer's conversation with its unread count, which a webhook applied twice would have raised twice.
 */
final class StoredWebhooks {
  /** Copies of each of the run's messages, by provider id. */
  final Map<String, Integer> copies = new HashMap<>();
  int duplicates;
  int contacts;
  int conversations;
  /** Conversations whose unread count differs from their inbound messages (counted twice or not at all). */
  int unreadMismatches;

  /** A connection to the embedded PostgreSQL of {@code dataDir} (its port from {@code postmaster.pid}). */
  static Connection embedded(Path dataDir) throws IOException, SQLException {
    var lines = Files.readAllLines(dataDir.resolve("postgres").resolve("postmaster.pid"));
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + lines.get(3).strip() + "/parley", "postgres",
        "postgres");
  }

  /** A connection for a {@code postgresql://} URL as Parley takes it. */
  static Connection of(String url) throws SQLException {
    var options = PgConnectOptions.fromUri(url);
    return DriverManager.getConnection("jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/"
        + options.getDatabase(), options.getUser(), options.getPassword());
  }

  static StoredWebhooks read(Connection connection, WebhookLoad load) throws SQLException {
    var stored = new StoredWebhooks();
    try (var statement = connection.prepareStatement("""
        SELECT provider_message_id, count(*) FROM messages
        WHERE channel_id = ? AND provider_message_id LIKE ? GROUP BY provider_message_id""")) {
      statement.setObject(1, TestApp.CHANNEL_ID);
      statement.setString(2, "wamid." + load.run + "-%");
      try (var rows = statement.executeQuery()) {
        while (rows.next()) {
          int n = rows.getInt(2);
          stored.copies.put(rows.getString(1), n);
          stored.duplicates += n - 1;
        }
      }
    }
    try (var statement = connection.prepareStatement("""
        SELECT count(DISTINCT c.contact_id), count(*),
               count(*) FILTER (WHERE c.unread_count <> (SELECT count(*) FROM messages m
                                                         WHERE m.conversation_id = c.id AND m.direction = 'inbound'))
        FROM conversations c WHERE c.channel_id = ?""")) {
      statement.setObject(1, TestApp.CHANNEL_ID);
      try (var rows = statement.executeQuery()) {
        rows.next();
        stored.contacts = rows.getInt(1);
        stored.conversations = rows.getInt(2);
        stored.unreadMismatches = rows.getInt(3);
      }
    }
    return stored;
  }

  /** How many of {@code acknowledged} (webhook numbers) have no stored message. */
  int lost(WebhookLoad load, Collection<Integer> acknowledged) {
    return (int) acknowledged.stream().filter(i -> !copies.containsKey(load.providerId(i))).count();
  }

  /**
   * The guarantees: every webhook acknowledged at any time is stored, each message once, one conversation per
   * customer, unread counts equal to the messages (nothing applied twice).
   */
  void assertExactlyOnce(WebhookLoad load, Collection<Integer> acknowledged) {
    assertEquals(0, lost(load, acknowledged), "acknowledged webhooks whose message is not stored");
    assertEquals(0, duplicates, "messages stored more than once");
    assertEquals(WebhookLoad.CUSTOMERS, contacts, "one contact per customer");
    assertEquals(WebhookLoad.CUSTOMERS, conversations, "one conversation per customer");
    assertEquals(0, unreadMismatches, "conversations whose unread count is not their number of messages");
    assertTrue(copies.size() <= load.count, "only the run's messages");
  }
}

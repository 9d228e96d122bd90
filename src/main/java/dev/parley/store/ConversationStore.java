package dev.parley.store;

import static dev.parley.store.ChannelStore.utc;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Conversations: finding or opening one for an inbound message, counters, window bookkeeping. */
public final class ConversationStore {
  static final String COLUMNS = """
      id, organization_id, channel_id, contact_id, status, assignee_id, bot_state, unread_count, last_message_id,
      last_message_at, window_expires_at, window_closing_fired, window_closed_fired, labels, bot_name, bot_updated_at,
      version, created_at, updated_at""";
  // the open (else the most recent) conversation with this contact on this channel, locked until commit
  private static final String LOCK_LATEST = """
      SELECT id, status FROM conversations WHERE channel_id = $1 AND contact_id = $2
      ORDER BY status = 'open' DESC, created_at DESC LIMIT 1 FOR UPDATE
      """;
  private static final String INSERT_OPEN = """
      INSERT INTO conversations (id, organization_id, channel_id, contact_id, status, last_message_at)
      VALUES ($1, $2, $3, $4, 'open', $5)
      ON CONFLICT (channel_id, contact_id) WHERE status = 'open' DO NOTHING
      RETURNING id
      """;
  private static final String RECORD_INBOUND = """
      UPDATE conversations SET
        status = 'open',
        unread_count = unread_count + 1,
        last_message_id = CASE WHEN last_message_at IS NULL OR $3 >= last_message_at THEN $2 ELSE last_message_id END,
        last_message_at = GREATEST(last_message_at, $3),
        last_inbound_at = GREATEST(last_inbound_at, $3),
        window_expires_at = GREATEST(window_expires_at, $4),
        version = version + 1,
        updated_at = now()
      WHERE id = $1
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String RECORD_SYSTEM = """
      UPDATE conversations SET
        last_message_id = CASE WHEN last_message_at IS NULL OR $3 >= last_message_at THEN $2 ELSE last_message_id END,
        last_message_at = GREATEST(last_message_at, $3),
        version = version + 1,
        updated_at = now()
      WHERE id = $1
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String FIND = "SELECT " + COLUMNS + " FROM conversations WHERE id = $1";
  private static final String MARK_CLOSING_FIRED = """
      UPDATE conversations SET window_closing_fired = window_expires_at
      WHERE id = $1 AND window_expires_at = $2 AND window_closing_fired IS DISTINCT FROM window_expires_at
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String MARK_CLOSED_FIRED = """
      UPDATE conversations SET window_closed_fired = window_expires_at
      WHERE id = $1 AND window_expires_at = $2 AND window_closed_fired IS DISTINCT FROM window_expires_at
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String PAGE_FOR_REBUILD =
      "SELECT " + COLUMNS + " FROM conversations WHERE id > $1 ORDER BY id LIMIT $2";

  /** The outcome of {@link #openFor}: which conversation, and whether it was just created or reopened. */
  public record Opened(UUID id, boolean created, boolean reopened) {}

  /**
   * The conversation a new inbound message belongs to: the latest one with this contact on this channel (locked,
   * reopened if closed), or a new open one. Race-free through the one-open-conversation unique index.
   */
  public Future<Opened> openFor(SqlClient tx, UUID organizationId, UUID channelId, UUID contactId, Instant at) {
    return tx.preparedQuery(LOCK_LATEST).execute(Tuple.of(channelId, contactId)).compose(rows -> {
      if (rows.rowCount() > 0) {
        Row row = rows.iterator().next();
        return Future.succeededFuture(new Opened(row.getUUID("id"), false, "closed".equals(row.getString("status"))));
      }
      UUID id = UUID.randomUUID();
      return tx.preparedQuery(INSERT_OPEN).execute(Tuple.of(id, organizationId, channelId, contactId, utc(at)))
          .compose(inserted -> inserted.rowCount() > 0
              ? Future.succeededFuture(new Opened(id, true, false))
              : openFor(tx, organizationId, channelId, contactId, at)); // a concurrent message opened it first
    });
  }

  /** Counts an inbound message: open, unread + 1, last message, window pushed out to {@code windowExpiresAt}. */
  public Future<ConversationRow> recordInbound(
      SqlClient tx, UUID conversationId, UUID messageId, Instant sentAt, Instant windowExpiresAt) {
    return tx.preparedQuery(RECORD_INBOUND)
        .execute(Tuple.of(conversationId, messageId, utc(sentAt), utc(windowExpiresAt)))
        .map(ConversationStore::one);
  }

  /** Records a system message as the conversation's latest activity; counters stay as they are. */
  public Future<ConversationRow> recordSystem(SqlClient tx, UUID conversationId, UUID messageId, Instant at) {
    return tx.preparedQuery(RECORD_SYSTEM).execute(Tuple.of(conversationId, messageId, utc(at)))
        .map(ConversationStore::one);
  }

  public Future<Optional<ConversationRow>> find(SqlClient client, UUID id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id)).map(rows -> rows.rowCount() == 0
        ? Optional.empty() : Optional.of(one(rows)));
  }

  /**
   * Marks the {@code closing} or {@code closed} timer of window {@code expiry} as fired. Empty when it already
   * fired or the window has moved since: exactly one caller, on any node, gets the row.
   */
  public Future<Optional<ConversationRow>> markWindowFired(
      SqlClient client, UUID conversationId, boolean closing, Instant expiry) {
    return client.preparedQuery(closing ? MARK_CLOSING_FIRED : MARK_CLOSED_FIRED)
        .execute(Tuple.of(conversationId, utc(expiry)))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(one(rows)));
  }

  /** A page of all conversations ordered by id, for rebuilding Redis. */
  public Future<List<ConversationRow>> pageForRebuild(SqlClient client, UUID after, int limit) {
    return client.preparedQuery(PAGE_FOR_REBUILD).execute(Tuple.of(after, limit)).map(rows -> {
      List<ConversationRow> page = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> page.add(map(row)));
      return page;
    });
  }

  private static ConversationRow one(RowSet<Row> rows) {
    return map(rows.iterator().next());
  }

  private static ConversationRow map(Row row) {
    return new ConversationRow(
        row.getUUID("id"),
        row.getUUID("organization_id"),
        row.getUUID("channel_id"),
        row.getUUID("contact_id"),
        row.getString("status"),
        row.getUUID("assignee_id"),
        row.getString("bot_state"),
        row.getInteger("unread_count"),
        row.getUUID("last_message_id"),
        instant(row.getOffsetDateTime("last_message_at")),
        instant(row.getOffsetDateTime("window_expires_at")),
        instant(row.getOffsetDateTime("window_closing_fired")),
        instant(row.getOffsetDateTime("window_closed_fired")),
        List.of(row.getArrayOfStrings("labels")),
        row.getString("bot_name"),
        instant(row.getOffsetDateTime("bot_updated_at")),
        row.getLong("version"),
        instant(row.getOffsetDateTime("created_at")),
        instant(row.getOffsetDateTime("updated_at")));
  }

  static Instant instant(OffsetDateTime time) {
    return time == null ? null : time.toInstant();
  }

  /** One conversation row. */
  public record ConversationRow(
      UUID id,
      UUID organizationId,
      UUID channelId,
      UUID contactId,
      String status,
      UUID assigneeId,
      String botState,
      int unreadCount,
      UUID lastMessageId,
      Instant lastMessageAt,
      Instant windowExpiresAt,
      Instant windowClosingFired,
      Instant windowClosedFired,
      List<String> labels,
      String botName,
      Instant botUpdatedAt,
      long version,
      Instant createdAt,
      Instant updatedAt) {

    /** The list-row shape clients render: pass the contact and last message to embed them. */
    public JsonObject toJson(JsonObject contact, JsonObject lastMessage) {
      return new JsonObject()
          .put("id", id.toString())
          .put("organization_id", organizationId.toString())
          .put("channel_id", channelId.toString())
          .put("contact_id", contactId.toString())
          .put("contact", contact)
          .put("status", status)
          .put("assignee_id", assigneeId == null ? null : assigneeId.toString())
          .put("bot_state", botState)
          .put("bot_name", botName)
          .put("labels", new JsonArray(labels))
          .put("unread_count", unreadCount)
          .put("last_message", lastMessage)
          .put("last_message_at", text(lastMessageAt))
          .put("window_expires_at", text(windowExpiresAt))
          .put("version", version)
          .put("created_at", text(createdAt))
          .put("updated_at", text(updatedAt));
    }
  }

  static String text(Instant instant) {
    return instant == null ? null : instant.toString();
  }
}

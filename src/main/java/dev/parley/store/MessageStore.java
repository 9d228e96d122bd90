package dev.parley.store;

import static dev.parley.store.ChannelStore.utc;
import static dev.parley.store.ConversationStore.instant;
import static dev.parley.store.ConversationStore.text;

import dev.parley.provider.ProviderErrors;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Messages, their status history, statuses waiting for an unknown message, and reactions. The unique
 * (channel, provider message id) makes a provider's retry harmless: the second insert writes nothing.
 */
public final class MessageStore {
  private static final String COLUMNS = """
      id, organization_id, conversation_id, channel_id, direction, type, body, content, provider_message_id,
      reply_to_provider_id, sender_type, sender_id, status, error_code, error_title, sent_at, edited_at, created_at,
      deleted_at""";
  private static final String EXISTS =
      "SELECT 1 FROM messages WHERE channel_id = $1 AND provider_message_id = $2";
  private static final String INSERT = """
      INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, content,
        provider_message_id, reply_to_provider_id, sender_type, sender_id, status, sent_at, edited_at, raw)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
      ON CONFLICT (channel_id, provider_message_id) WHERE provider_message_id IS NOT NULL DO NOTHING
      RETURNING %s
      """.formatted(COLUMNS);
  // set-based forms of the two above for a group of inbound messages: one statement for the whole group
  private static final String EXISTING = """
      SELECT k.i FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k(channel_id, provider_message_id, i)
      WHERE EXISTS (SELECT 1 FROM messages m
                    WHERE m.channel_id = k.channel_id AND m.provider_message_id = k.provider_message_id)
      """;
  private static final String INSERT_ALL = """
      INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, content,
        provider_message_id, reply_to_provider_id, sender_type, sender_id, status, sent_at, edited_at, raw)
      SELECT id, organization_id, conversation_id, channel_id, direction, type, body, content::jsonb,
             provider_message_id, reply_to_provider_id, sender_type, sender_id, status, sent_at, edited_at, raw::jsonb
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                  $9::text[], $10::text[], $11::text[], $12::uuid[], $13::text[], $14::timestamptz[],
                  $15::timestamptz[], $16::text[])
        AS k(id, organization_id, conversation_id, channel_id, direction, type, body, content, provider_message_id,
             reply_to_provider_id, sender_type, sender_id, status, sent_at, edited_at, raw)
      ON CONFLICT (channel_id, provider_message_id) WHERE provider_message_id IS NOT NULL DO NOTHING
      RETURNING %s
      """.formatted(COLUMNS);
  // set-based forms of the status statements, for the statuses of a group of webhooks
  private static final String FIND_ALL_BY_PROVIDER_ID = """
      SELECT k.i, %s
      FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS k(channel_id, provider_message_id, i)
      JOIN messages m ON m.channel_id = k.channel_id AND m.provider_message_id = k.provider_message_id
      """.formatted(Database.qualified("m", COLUMNS));
  private static final String ADD_HISTORY_ALL = """
      INSERT INTO message_status_history (message_id, status, provider_timestamp, error_code, error_title, raw)
      SELECT message_id, status, provider_timestamp, error_code, error_title, raw::jsonb
      FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[])
        AS k(message_id, status, provider_timestamp, error_code, error_title, raw)
      ON CONFLICT (message_id, status) DO NOTHING
      RETURNING message_id, status
      """;
  private static final String MOVE_STATUS_ALL = """
      UPDATE messages m SET status = k.status, error_code = COALESCE(k.error_code, m.error_code),
             error_title = COALESCE(k.error_title, m.error_title), updated_at = now()
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[])
        AS k(id, status, replaceable, error_code, error_title)
      WHERE m.id = k.id AND m.status = ANY(string_to_array(k.replaceable, ','))
      RETURNING %s
      """.formatted(Database.qualified("m", COLUMNS));
  private static final String KEEP_PENDING_STATUSES = """
      INSERT INTO pending_statuses (channel_id, provider_message_id, status, provider_timestamp, error_code, error_title, raw)
      SELECT channel_id, provider_message_id, status, provider_timestamp, error_code, error_title, raw::jsonb
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::text[])
        AS k(channel_id, provider_message_id, status, provider_timestamp, error_code, error_title, raw)
      ON CONFLICT DO NOTHING
      """;
  private static final String REACTIONS_ALL = """
      SELECT r.channel_id, r.target_provider_id, r.side, r.emoji
      FROM unnest($1::uuid[], $2::text[]) AS k(channel_id, target_provider_id)
      JOIN reactions r ON r.channel_id = k.channel_id AND r.target_provider_id = k.target_provider_id
      WHERE r.emoji IS NOT NULL
      """;
  private static final String FIND_BY_PROVIDER_ID =
      "SELECT " + COLUMNS + " FROM messages WHERE channel_id = $1 AND provider_message_id = $2";
  private static final String FIND_BY_ID = "SELECT " + COLUMNS + " FROM messages WHERE id = $1";
  private static final String ADD_HISTORY = """
      INSERT INTO message_status_history (message_id, status, provider_timestamp, error_code, error_title, raw)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (message_id, status) DO NOTHING
      RETURNING id
      """;
  // moves forward only: the caller passes the statuses this one may replace
  private static final String MOVE_STATUS = """
      UPDATE messages SET status = $2, error_code = COALESCE($4, error_code), error_title = COALESCE($5, error_title),
             updated_at = now()
      WHERE id = $1 AND status = ANY($3)
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String KEEP_PENDING_STATUS = """
      INSERT INTO pending_statuses (channel_id, provider_message_id, status, provider_timestamp, error_code, error_title, raw)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT DO NOTHING
      """;
  private static final String TAKE_PENDING_STATUSES = """
      DELETE FROM pending_statuses WHERE channel_id = $1 AND provider_message_id = $2
      RETURNING status, provider_timestamp, error_code, error_title, raw
      """;
  // the provider accepted an outbound message: its id, unless a status webhook already brought it
  private static final String ACCEPT_OUTBOUND = """
      UPDATE messages SET provider_message_id = $2, updated_at = now()
      WHERE id = $1 AND provider_message_id IS NULL
      """;
  // a status webhook names, in biz_opaque_callback_data, an outbound message whose acceptance was never recorded
  private static final String ADOPT_OUTBOUND = """
      UPDATE messages SET provider_message_id = $3, updated_at = now()
      WHERE id = $2 AND channel_id = $1 AND direction = 'outbound' AND provider_message_id IS NULL
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String FIND_IN_CONVERSATION =
      "SELECT " + COLUMNS + " FROM messages WHERE id = $1 AND conversation_id = $2";
  private static final String FIND_IN_ORGANIZATION =
      "SELECT " + COLUMNS + " FROM messages WHERE id = $1 AND organization_id = $2";
  private static final String LAST_INBOUND = """
      SELECT %s FROM messages
      WHERE conversation_id = $1 AND direction = 'inbound' AND provider_message_id IS NOT NULL
      ORDER BY sent_at DESC, id DESC LIMIT 1
      """.formatted(COLUMNS);
  private static final String DELETE_LOCALLY = """
      UPDATE messages SET deleted_at = now(), body = NULL, content = '{}', updated_at = now()
      WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String PURGE_PENDING = "DELETE FROM pending_statuses WHERE received_at < $1";
  private static final String APPLY_EDIT = """
      UPDATE messages SET type = $3, body = $4, content = $5, edited_at = $6, updated_at = now()
      WHERE channel_id = $1 AND provider_message_id = $2 AND (edited_at IS NULL OR edited_at < $6)
      RETURNING %s
      """.formatted(COLUMNS);
  // merged, not replaced: the media fetcher only ever writes content.media
  private static final String SET_MEDIA = """
      UPDATE messages SET content = content || jsonb_build_object('media', $2::jsonb), updated_at = now()
      WHERE id = $1
      RETURNING %s
      """.formatted(COLUMNS);
  // a newer reaction (by provider time) replaces the side's previous one; a repeat of the same one changes nothing
  private static final String UPSERT_REACTION = """
      INSERT INTO reactions (channel_id, target_provider_id, side, emoji, reacted_at, provider_message_id, sender_id)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (channel_id, target_provider_id, side) DO UPDATE
        SET emoji = EXCLUDED.emoji, reacted_at = EXCLUDED.reacted_at, provider_message_id = EXCLUDED.provider_message_id,
            sender_id = EXCLUDED.sender_id, updated_at = now()
        WHERE reactions.reacted_at <= EXCLUDED.reacted_at
          AND reactions.provider_message_id IS DISTINCT FROM EXCLUDED.provider_message_id
      RETURNING 1
      """;
  private static final String REACTIONS = """
      SELECT side, emoji FROM reactions WHERE channel_id = $1 AND target_provider_id = $2 AND emoji IS NOT NULL
      """;

  // a message as the thread shows it: its reactions, the message it quotes and its status history, per row
  private static final String ENRICHED = """
      SELECT %s, c.contact_id,
             (SELECT jsonb_object_agg(r.side, r.emoji) FROM reactions r
              WHERE r.channel_id = m.channel_id AND r.target_provider_id = m.provider_message_id
                AND r.emoji IS NOT NULL) AS reactions,
             (SELECT jsonb_build_object('id', q.id, 'direction', q.direction, 'type', q.type, 'body', q.body)
              FROM messages q WHERE q.channel_id = m.channel_id AND q.provider_message_id = m.reply_to_provider_id
              LIMIT 1) AS reply_to,
             h.statuses, h.times, h.codes, h.titles
      FROM messages m
      JOIN conversations c ON c.id = m.conversation_id
      LEFT JOIN LATERAL (
        SELECT array_agg(status ORDER BY provider_timestamp, id) AS statuses,
               array_agg(provider_timestamp ORDER BY provider_timestamp, id) AS times,
               array_agg(error_code ORDER BY provider_timestamp, id) AS codes,
               array_agg(error_title ORDER BY provider_timestamp, id) AS titles
        FROM message_status_history WHERE message_id = m.id) h ON true
      """.formatted(Database.qualified("m", COLUMNS));
  private static final String FLAT = "SELECT %s, c.contact_id FROM messages m JOIN conversations c ON c.id = m.conversation_id\n"
      .formatted(Database.qualified("m", COLUMNS));

  /** Whether the channel already holds a message with this provider id. */
  public Future<Boolean> exists(SqlClient tx, UUID channelId, String providerMessageId) {
    return tx.preparedQuery(EXISTS).execute(Tuple.of(channelId, providerMessageId)).map(rows -> rows.rowCount() > 0);
  }

  /** Inserts a message; empty when the channel already has one with the same provider id (a retry). */
  public Future<Optional<MessageRow>> insert(SqlClient tx, NewMessage message) {
    return tx.preparedQuery(INSERT).execute(Tuple.from(new Object[] {
        message.id(), message.organizationId(), message.conversationId(), message.channelId(), message.direction(),
        message.type(), message.body(), message.content(), message.providerMessageId(), message.replyToProviderId(),
        message.senderType(), message.senderId(), message.status(), utc(message.sentAt()), utc(message.editedAt()),
        message.raw()}))
        .map(MessageStore::optional);
  }

  /** The positions (from 0) of the (channel, provider id) pairs already stored: {@link #exists} for many at once. */
  public Future<Set<Integer>> existing(SqlClient tx, List<UUID> channelIds, List<String> providerMessageIds) {
    return tx.preparedQuery(EXISTING)
        .execute(Database.arrays(channelIds.toArray(UUID[]::new), providerMessageIds.toArray(String[]::new)))
        .map(rows -> {
          Set<Integer> found = new HashSet<>();
          rows.forEach(row -> found.add(row.getLong("i").intValue() - 1));
          return found;
        });
  }

  /**
   * {@link #insert} for many messages in one statement: the stored rows by id. A message missing from the answer
   * was not inserted because the channel already has one with its provider id (a retry committed concurrently).
   */
  public Future<Map<UUID, MessageRow>> insertAll(SqlClient tx, List<NewMessage> messages) {
    int n = messages.size();
    UUID[] ids = new UUID[n], organizations = new UUID[n], conversations = new UUID[n], channels = new UUID[n],
        senders = new UUID[n];
    String[] directions = new String[n], types = new String[n], bodies = new String[n], contents = new String[n],
        providerIds = new String[n], replyTo = new String[n], senderTypes = new String[n], statuses = new String[n],
        raws = new String[n];
    OffsetDateTime[] sentAt = new OffsetDateTime[n], editedAt = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      NewMessage m = messages.get(i);
      ids[i] = m.id();
      organizations[i] = m.organizationId();
      conversations[i] = m.conversationId();
      channels[i] = m.channelId();
      directions[i] = m.direction();
      types[i] = m.type();
      bodies[i] = m.body();
      contents[i] = m.content() == null ? null : m.content().encode();
      providerIds[i] = m.providerMessageId();
      replyTo[i] = m.replyToProviderId();
      senderTypes[i] = m.senderType();
      senders[i] = m.senderId();
      statuses[i] = m.status();
      sentAt[i] = utc(m.sentAt());
      editedAt[i] = utc(m.editedAt());
      raws[i] = m.raw() == null ? null : m.raw().encode();
    }
    return tx.preparedQuery(INSERT_ALL)
        .execute(Database.arrays(ids, organizations, conversations, channels, directions, types, bodies,
            contents, providerIds, replyTo, senderTypes, senders, statuses, sentAt, editedAt, raws))
        .map(rows -> {
          Map<UUID, MessageRow> stored = new HashMap<>();
          rows.forEach(row -> stored.put(row.getUUID("id"), map(row)));
          return stored;
        });
  }

  /** {@link #findByProviderId} for many: the messages found, by the position (from 0) of their pair. */
  public Future<Map<Integer, MessageRow>> findAllByProviderId(
      SqlClient tx, List<UUID> channelIds, List<String> providerMessageIds) {
    return tx.preparedQuery(FIND_ALL_BY_PROVIDER_ID)
        .execute(Database.arrays(channelIds.toArray(UUID[]::new), providerMessageIds.toArray(String[]::new)))
        .map(rows -> {
          Map<Integer, MessageRow> found = new HashMap<>();
          rows.forEach(row -> found.put(row.getLong("i").intValue() - 1, map(row)));
          return found;
        });
  }

  /** {@link #addHistory} for many; the answer names the ones recorded now, as {@code "message id/status"}. */
  public Future<Set<String>> addHistoryAll(SqlClient tx, List<UUID> messageIds, List<StatusRecord> statuses) {
    return tx.preparedQuery(ADD_HISTORY_ALL).execute(Database.arrays(
            messageIds.toArray(UUID[]::new),
            statuses.stream().map(StatusRecord::status).toArray(String[]::new),
            statuses.stream().map(s -> utc(s.timestamp())).toArray(OffsetDateTime[]::new),
            statuses.stream().map(StatusRecord::errorCode).toArray(Integer[]::new),
            statuses.stream().map(StatusRecord::errorTitle).toArray(String[]::new),
            statuses.stream().map(s -> s.raw() == null ? null : s.raw().encode()).toArray(String[]::new)))
        .map(rows -> {
          Set<String> recorded = new HashSet<>();
          rows.forEach(row -> recorded.add(row.getUUID("message_id") + "/" + row.getString("status")));
          return recorded;
        });
  }

  /** A message's status move for {@link #moveStatusAll}: to {@code status}, if it is one of {@code replaceable}. */
  public record Move(UUID messageId, String status, String[] replaceable, Integer errorCode, String errorTitle) {}

  /** {@link #moveStatus} for many messages (one move each): the rows that moved. */
  public Future<List<MessageRow>> moveStatusAll(SqlClient tx, List<Move> moves) {
    return tx.preparedQuery(MOVE_STATUS_ALL).execute(Database.arrays(
            moves.stream().map(Move::messageId).toArray(UUID[]::new),
            moves.stream().map(Move::status).toArray(String[]::new),
            moves.stream().map(m -> String.join(",", m.replaceable())).toArray(String[]::new),
            moves.stream().map(Move::errorCode).toArray(Integer[]::new),
            moves.stream().map(Move::errorTitle).toArray(String[]::new)))
        .map(rows -> {
          List<MessageRow> moved = new ArrayList<>();
          rows.forEach(row -> moved.add(map(row)));
          return moved;
        });
  }

  /** {@link #keepPendingStatus} for many. */
  public Future<Void> keepPendingStatuses(
      SqlClient tx, List<UUID> channelIds, List<String> providerMessageIds, List<StatusRecord> statuses) {
    return tx.preparedQuery(KEEP_PENDING_STATUSES).execute(Database.arrays(
            channelIds.toArray(UUID[]::new),
            providerMessageIds.toArray(String[]::new),
            statuses.stream().map(StatusRecord::status).toArray(String[]::new),
            statuses.stream().map(s -> utc(s.timestamp())).toArray(OffsetDateTime[]::new),
            statuses.stream().map(StatusRecord::errorCode).toArray(Integer[]::new),
            statuses.stream().map(StatusRecord::errorTitle).toArray(String[]::new),
            statuses.stream().map(s -> s.raw() == null ? null : s.raw().encode()).toArray(String[]::new)))
        .mapEmpty();
  }

  /** {@link #reactions} for many messages, by {@code "channel id/provider id"}; a message without any is absent. */
  public Future<Map<String, JsonObject>> reactionsAll(SqlClient tx, List<UUID> channelIds, List<String> providerIds) {
    return tx.preparedQuery(REACTIONS_ALL)
        .execute(Database.arrays(channelIds.toArray(UUID[]::new), providerIds.toArray(String[]::new)))
        .map(rows -> {
          Map<String, JsonObject> reactions = new HashMap<>();
          rows.forEach(row -> reactions
              .computeIfAbsent(row.getUUID("channel_id") + "/" + row.getString("target_provider_id"),
                  k -> new JsonObject())
              .put(row.getString("side"), row.getString("emoji")));
          return reactions;
        });
  }

  public Future<Optional<MessageRow>> findByProviderId(SqlClient tx, UUID channelId, String providerMessageId) {
    return tx.preparedQuery(FIND_BY_PROVIDER_ID).execute(Tuple.of(channelId, providerMessageId))
        .map(MessageStore::optional);
  }

  public Future<Optional<MessageRow>> findById(SqlClient client, UUID id) {
    return client.preparedQuery(FIND_BY_ID).execute(Tuple.of(id)).map(MessageStore::optional);
  }

  /** Records the provider's id of an accepted outbound message; false when it already had one. */
  public Future<Boolean> acceptOutbound(SqlClient tx, UUID messageId, String providerMessageId) {
    return tx.preparedQuery(ACCEPT_OUTBOUND).execute(Tuple.of(messageId, providerMessageId))
        .map(rows -> rows.rowCount() > 0);
  }

  /**
   * Gives an outbound message of this channel whose acceptance was never recorded (a crash or a timeout during
   * the provider call) the provider id a status webhook reports for it; empty when there is no such message.
   */
  public Future<Optional<MessageRow>> adoptOutbound(SqlClient tx, UUID channelId, UUID messageId,
      String providerMessageId) {
    return tx.preparedQuery(ADOPT_OUTBOUND).execute(Tuple.of(channelId, messageId, providerMessageId))
        .map(MessageStore::optional);
  }

  /** The message if it is in this conversation. */
  public Future<Optional<MessageRow>> findInConversation(SqlClient client, UUID conversationId, UUID id) {
    return client.preparedQuery(FIND_IN_CONVERSATION).execute(Tuple.of(id, conversationId)).map(MessageStore::optional);
  }

  /** The conversation's latest message from the customer. */
  public Future<Optional<MessageRow>> lastInbound(SqlClient client, UUID conversationId) {
    return client.preparedQuery(LAST_INBOUND).execute(Tuple.of(conversationId)).map(MessageStore::optional);
  }

  /** The message if it belongs to this organization. */
  public Future<Optional<MessageRow>> findInOrganization(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(FIND_IN_ORGANIZATION).execute(Tuple.of(id, organizationId)).map(MessageStore::optional);
  }

  /**
   * Deletes a message for the business only: its text and content are erased, the row stays (deleted) in the
   * thread. Empty when there is no such message or it is already deleted.
   */
  public Future<Optional<MessageRow>> deleteLocally(SqlClient tx, UUID organizationId, UUID id) {
    return tx.preparedQuery(DELETE_LOCALLY).execute(Tuple.of(id, organizationId)).map(MessageStore::optional);
  }

  /** Records a status in the message's history; false when this status was already recorded. */
  public Future<Boolean> addHistory(SqlClient tx, UUID messageId, StatusRecord status) {
    return tx.preparedQuery(ADD_HISTORY)
        .execute(Tuple.of(messageId, status.status(), utc(status.timestamp()), status.errorCode(), status.errorTitle(),
            status.raw()))
        .map(rows -> rows.rowCount() > 0);
  }

  /** Moves the message to {@code status} if it is currently one of {@code replaceable}; empty otherwise. */
  public Future<Optional<MessageRow>> moveStatus(SqlClient tx, UUID messageId, StatusRecord status, String[] replaceable) {
    return tx.preparedQuery(MOVE_STATUS)
        .execute(Tuple.of(messageId, status.status(), replaceable, status.errorCode(), status.errorTitle()))
        .map(MessageStore::optional);
  }

  public Future<Void> keepPendingStatus(SqlClient tx, UUID channelId, String providerMessageId, StatusRecord status) {
    return tx.preparedQuery(KEEP_PENDING_STATUS)
        .execute(Tuple.from(new Object[] {channelId, providerMessageId, status.status(), utc(status.timestamp()),
            status.errorCode(), status.errorTitle(), status.raw()}))
        .mapEmpty();
  }

  /** Removes and returns the statuses that arrived before the message with this provider id was known. */
  public Future<List<StatusRecord>> takePendingStatuses(SqlClient tx, UUID channelId, String providerMessageId) {
    return tx.preparedQuery(TAKE_PENDING_STATUSES).execute(Tuple.of(channelId, providerMessageId)).map(rows -> {
      var statuses = new ArrayList<StatusRecord>(rows.rowCount());
      for (Row row : rows) {
        statuses.add(new StatusRecord(row.getString("status"), instant(row.getOffsetDateTime("provider_timestamp")),
            row.getInteger("error_code"), row.getString("error_title"), (JsonObject) row.getValue("raw")));
      }
      return statuses;
    });
  }

  /** Deletes statuses whose message never appeared; returns how many. */
  public Future<Integer> purgePendingStatuses(SqlClient client, Instant receivedBefore) {
    return client.preparedQuery(PURGE_PENDING).execute(Tuple.of(utc(receivedBefore))).map(RowSet::rowCount);
  }

  /** Applies a newer edit to the original message; empty when unknown or a newer edit is already applied. */
  public Future<Optional<MessageRow>> applyEdit(SqlClient tx, UUID channelId, String originalProviderId, String type,
      String body, JsonObject content, Instant editedAt) {
    return tx.preparedQuery(APPLY_EDIT)
        .execute(Tuple.of(channelId, originalProviderId, type, body, content, utc(editedAt)))
        .map(MessageStore::optional);
  }

  /** Sets {@code content.media} (what the message shows of its media file); empty when the message is gone. */
  public Future<Optional<MessageRow>> setMedia(SqlClient tx, UUID messageId, JsonObject media) {
    return tx.preparedQuery(SET_MEDIA).execute(Tuple.of(messageId, media)).map(MessageStore::optional);
  }

  /** Sets one side's reaction on a message; false when nothing changed (a repeat, or an older reaction). */
  public Future<Boolean> react(SqlClient tx, UUID channelId, String targetProviderId, String side, String emoji,
      Instant at, String providerMessageId, UUID senderId) {
    return tx.preparedQuery(UPSERT_REACTION)
        .execute(Tuple.from(new Object[] {channelId, targetProviderId, side, emoji, utc(at), providerMessageId, senderId}))
        .map(rows -> rows.rowCount() > 0);
  }

  /** The message's current reactions, {@code {"customer":"👍","business":"🙏"}}. */
  public Future<JsonObject> reactions(SqlClient tx, UUID channelId, String providerMessageId) {
    return tx.preparedQuery(REACTIONS).execute(Tuple.of(channelId, providerMessageId)).map(rows -> {
      var reactions = new JsonObject();
      rows.forEach(row -> reactions.put(row.getString("side"), row.getString("emoji")));
      return reactions;
    });
  }

  /**
   * Which messages of an organization a search, an export or the compatibility endpoint wants; a null field does
   * not filter. {@code text} is a web-search style query over bodies (PostgreSQL full-text, {@code simple}
   * configuration: no stemming, every language).
   */
  public record Filter(UUID organizationId, String text, Instant from, Instant to, UUID channelId, String provider,
      UUID contactId, UUID conversationId, String direction, String status, String type) {
    public static Filter conversation(UUID organizationId, UUID conversationId) {
      return new Filter(organizationId, null, null, null, null, null, null, conversationId, null, null, null);
    }
  }

  /** A page of matching messages, newest first, each as the thread shows it. */
  public Future<List<JsonObject>> search(SqlClient client, Filter filter, Instant afterSentAt, UUID afterId, int limit) {
    var sql = new StringBuilder(ENRICHED);
    Tuple params = where(sql, filter);
    if (afterSentAt != null) {
      params.addValue(utc(afterSentAt)).addValue(afterId);
      sql.append(" AND (m.sent_at, m.id) < ($").append(params.size() - 1).append(", $").append(params.size()).append(")");
    }
    params.addValue(limit);
    sql.append(" ORDER BY m.sent_at DESC, m.id DESC LIMIT $").append(params.size());
    return client.preparedQuery(sql.toString()).execute(params).map(rows -> {
      List<JsonObject> page = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> page.add(enriched(row)));
      return page;
    });
  }

  /** The compatibility endpoint's page: newest first, by offset. */
  public Future<List<JsonObject>> page(SqlClient client, Filter filter, int limit, int offset) {
    var sql = new StringBuilder(ENRICHED);
    Tuple params = where(sql, filter);
    params.addValue(limit).addValue(offset);
    sql.append(" ORDER BY m.sent_at DESC, m.id DESC LIMIT $").append(params.size() - 1)
        .append(" OFFSET $").append(params.size());
    return client.preparedQuery(sql.toString()).execute(params).map(rows -> {
      List<JsonObject> page = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> page.add(enriched(row)));
      return page;
    });
  }

  /** The statement and parameters of an export: flat rows (no per-row subqueries), newest first. */
  public static Map.Entry<String, Tuple> exportQuery(Filter filter) {
    var sql = new StringBuilder(FLAT);
    Tuple params = where(sql, filter);
    sql.append(" ORDER BY m.sent_at DESC, m.id DESC");
    return Map.entry(sql.toString(), params);
  }

  /** An exported row: the message and the contact it was exchanged with. */
  public static MessageRow exported(Row row) {
    return map(row);
  }

  private static Tuple where(StringBuilder sql, Filter filter) {
    Tuple params = Tuple.of(filter.organizationId());
    sql.append(" WHERE m.organization_id = $1");
    if (filter.text() != null) {
      params.addValue(filter.text());
      sql.append(" AND to_tsvector('simple', coalesce(m.body, '')) @@ websearch_to_tsquery('simple', $")
          .append(params.size()).append(")");
    }
    if (filter.from() != null) {
      params.addValue(utc(filter.from()));
      sql.append(" AND m.sent_at >= $").append(params.size());
    }
    if (filter.to() != null) {
      params.addValue(utc(filter.to()));
      sql.append(" AND m.sent_at < $").append(params.size());
    }
    if (filter.channelId() != null) {
      params.addValue(filter.channelId());
      sql.append(" AND m.channel_id = $").append(params.size());
    }
    if (filter.provider() != null) {
      params.addValue(filter.provider());
      sql.append(" AND m.channel_id IN (SELECT id FROM channels WHERE organization_id = $1 AND provider = $")
          .append(params.size()).append(")");
    }
    if (filter.contactId() != null) {
      params.addValue(filter.contactId());
      sql.append(" AND c.contact_id = $").append(params.size());
    }
    if (filter.conversationId() != null) {
      params.addValue(filter.conversationId());
      sql.append(" AND m.conversation_id = $").append(params.size());
    }
    if (filter.direction() != null) {
      params.addValue(filter.direction());
      sql.append(" AND m.direction = $").append(params.size());
    }
    if (filter.status() != null) {
      params.addValue(filter.status());
      sql.append(" AND m.status = $").append(params.size());
    }
    if (filter.type() != null) {
      params.addValue(filter.type());
      sql.append(" AND m.type = $").append(params.size());
    }
    return params;
  }

  private static JsonObject enriched(Row row) {
    JsonObject reactions = (JsonObject) row.getValue("reactions");
    JsonObject json = map(row).toJson(reactions == null ? new JsonObject() : reactions)
        .put("contact_id", row.getUUID("contact_id").toString());
    JsonObject quoted = (JsonObject) row.getValue("reply_to");
    json.put("reply_to", quoted);
    var history = new JsonArray();
    String[] statuses = row.getArrayOfStrings("statuses");
    if (statuses != null) {
      OffsetDateTime[] times = row.getArrayOfOffsetDateTimes("times");
      Integer[] codes = row.getArrayOfIntegers("codes");
      String[] titles = row.getArrayOfStrings("titles");
      for (int i = 0; i < statuses.length; i++) {
        history.add(new JsonObject()
            .put("status", statuses[i])
            .put("timestamp", text(times[i].toInstant()))
            .put("error_code", codes[i])
            .put("error_title", titles[i]));
      }
    }
    return json.put("status_history", history);
  }


  private static Optional<MessageRow> optional(RowSet<Row> rows) {
    return rows.rowCount() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next()));
  }

  private static MessageRow map(Row row) {
    return new MessageRow(
        row.getUUID("id"),
        row.getUUID("organization_id"),
        row.getUUID("conversation_id"),
        row.getUUID("channel_id"),
        row.getString("direction"),
        row.getString("type"),
        row.getString("body"),
        (JsonObject) row.getValue("content"),
        row.getString("provider_message_id"),
        row.getString("reply_to_provider_id"),
        row.getString("sender_type"),
        row.getUUID("sender_id"),
        row.getString("status"),
        row.getInteger("error_code"),
        row.getString("error_title"),
        instant(row.getOffsetDateTime("sent_at")),
        instant(row.getOffsetDateTime("edited_at")),
        instant(row.getOffsetDateTime("created_at")),
        instant(row.getOffsetDateTime("deleted_at")));
  }

  /** A message to insert. {@code sentAt} is the provider's timestamp. */
  public record NewMessage(
      UUID id,
      UUID organizationId,
      UUID conversationId,
      UUID channelId,
      String direction,
      String type,
      String body,
      JsonObject content,
      String providerMessageId,
      String replyToProviderId,
      String senderType,
      UUID senderId,
      String status,
      Instant sentAt,
      Instant editedAt,
      JsonObject raw) {}

  /** One delivery status as the provider reported it. */
  public record StatusRecord(String status, Instant timestamp, Integer errorCode, String errorTitle, JsonObject raw) {}

  /** One stored message. */
  public record MessageRow(
      UUID id,
      UUID organizationId,
      UUID conversationId,
      UUID channelId,
      String direction,
      String type,
      String body,
      JsonObject content,
      String providerMessageId,
      String replyToProviderId,
      String senderType,
      UUID senderId,
      String status,
      Integer errorCode,
      String errorTitle,
      Instant sentAt,
      Instant editedAt,
      Instant createdAt,
      Instant deletedAt) {

    /** The shape clients render; {@code reactions} as from {@link MessageStore#reactions}. */
    public JsonObject toJson(JsonObject reactions) {
      return new JsonObject()
          .put("id", id.toString())
          .put("organization_id", organizationId.toString())
          .put("conversation_id", conversationId.toString())
          .put("channel_id", channelId.toString())
          .put("direction", direction)
          .put("type", type)
          .put("body", body)
          .put("content", content)
          .put("provider_message_id", providerMessageId)
          .put("reply_to_provider_id", replyToProviderId)
          .put("sender_type", senderType)
          .put("sender_id", senderId == null ? null : senderId.toString())
          .put("status", status)
          .put("error_code", errorCode)
          .put("error_title", errorTitle)
          .put("error_action", "failed".equals(status) ? ProviderErrors.action(errorCode) : null)
          .put("sent_at", text(sentAt))
          .put("edited_at", text(editedAt))
          .put("created_at", text(createdAt))
          .put("deleted_at", text(deletedAt))
          .put("reactions", reactions);
    }

    /** The short form embedded in a conversation row. */
    public JsonObject preview() {
      return preview(id, direction, type, body, status, sentAt);
    }

    public static JsonObject preview(UUID id, String direction, String type, String body, String status, Instant sentAt) {
      return new JsonObject()
          .put("id", id.toString())
          .put("direction", direction)
          .put("type", type)
          .put("body", body)
          .put("status", status)
          .put("sent_at", text(sentAt));
    }
  }
}

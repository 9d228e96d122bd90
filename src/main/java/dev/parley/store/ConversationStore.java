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
import java.util.Collections;
import java.util.List;
import java.util.Map;
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
  // set-based forms of the three above, for the conversations of a group of inbound messages
  private static final String LOCK_LATEST_ALL = """
      SELECT k.i, c.id, c.status
      FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS k(channel_id, contact_id, i)
      CROSS JOIN LATERAL (
        SELECT id, status FROM conversations WHERE channel_id = k.channel_id AND contact_id = k.contact_id
        ORDER BY status = 'open' DESC, created_at DESC LIMIT 1 FOR UPDATE) c
      """;
  // a new conversation written once, with its first messages already counted (not inserted, then updated)
  private static final String INSERT_OPEN_ALL = """
      INSERT INTO conversations (id, organization_id, channel_id, contact_id, status, unread_count, last_message_id,
        last_message_at, last_inbound_at, window_expires_at)
      SELECT id, organization_id, channel_id, contact_id, 'open', unread_count, last_message_id, last_message_at,
             last_message_at, window_expires_at
      FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::uuid[], $7::timestamptz[],
                  $8::timestamptz[])
        AS k(id, organization_id, channel_id, contact_id, unread_count, last_message_id, last_message_at,
             window_expires_at)
      ON CONFLICT (channel_id, contact_id) WHERE status = 'open' DO NOTHING
      RETURNING %s
      """.formatted(COLUMNS);
  // a new conversation some of whose counted messages were not stored after all (committed concurrently elsewhere)
  private static final String RECOUNT = """
      UPDATE conversations c SET
        unread_count = GREATEST(c.unread_count - $2, 0),
        last_message_id = (SELECT id FROM messages WHERE conversation_id = $1 ORDER BY sent_at DESC, id DESC LIMIT 1),
        last_message_at = COALESCE((SELECT max(sent_at) FROM messages WHERE conversation_id = $1), c.created_at),
        version = c.version + 1,
        updated_at = now()
      WHERE c.id = $1
      RETURNING %s
      """.formatted(COLUMNS);
  private static final String RECORD_INBOUND_ALL = """
      UPDATE conversations c SET
        status = 'open',
        unread_count = c.unread_count + k.received,
        last_message_id = CASE WHEN c.last_message_at IS NULL OR k.at >= c.last_message_at
                               THEN k.message_id ELSE c.last_message_id END,
        last_message_at = GREATEST(c.last_message_at, k.at),
        last_inbound_at = GREATEST(c.last_inbound_at, k.at),
        window_expires_at = GREATEST(c.window_expires_at, k.window_expires_at),
        version = c.version + 1,
        updated_at = now()
      FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::timestamptz[], $5::timestamptz[])
        AS k(id, received, message_id, at, window_expires_at)
      WHERE c.id = k.id
      RETURNING %s
      """.formatted(Database.qualified("c", COLUMNS));
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

  // every change through the API bumps the version, so Redis copies and clients can tell newer from older
  private static final String LOCK = "SELECT " + COLUMNS + " FROM conversations WHERE id = $1 AND organization_id = $2 FOR UPDATE";
  private static final String CHANGE = """
      UPDATE conversations SET %s, version = version + 1, updated_at = now() WHERE id = $1
      RETURNING %s
      """;
  private static final String SET_ASSIGNEE = CHANGE.formatted("assignee_id = $2", COLUMNS);
  private static final String SET_STATUS = CHANGE.formatted("status = $2", COLUMNS);
  private static final String SET_BOT = CHANGE.formatted("bot_state = $2, bot_name = $3, bot_updated_at = now()", COLUMNS);
  private static final String MARK_READ = CHANGE.formatted("unread_count = 0", COLUMNS);
  private static final String MARK_UNREAD = CHANGE.formatted("unread_count = GREATEST(unread_count, 1)", COLUMNS);
  // labels are kept sorted and distinct
  private static final String CHANGE_LABELS = CHANGE.formatted("""
      labels = ARRAY(SELECT DISTINCT label FROM unnest(labels || $2::text[]) AS label
                     WHERE NOT (label = ANY($3::text[])) ORDER BY label)""", COLUMNS);
  private static final String END_ASSIGNMENT =
      "UPDATE assignments SET ended_at = now() WHERE conversation_id = $1 AND ended_at IS NULL";
  private static final String START_ASSIGNMENT = """
      INSERT INTO assignments (id, organization_id, conversation_id, user_id, assigned_by) VALUES ($1, $2, $3, $4, $5)
      """;
  private static final String ASSIGNMENTS = """
      SELECT user_id, assigned_by, started_at, ended_at FROM assignments
      WHERE conversation_id = $1 ORDER BY started_at DESC, id DESC LIMIT 50
      """;
  // the list row: the conversation, its contact and its last message, in one statement
  private static final String LISTED = """
      SELECT %s, ct.name AS contact_name, ct.mobile_number AS contact_mobile_number,
             ct.address ->> 'country' AS contact_country,
             m.id AS last_id, m.direction AS last_direction, m.type AS last_type, m.body AS last_body,
             m.status AS last_status, m.sent_at AS last_sent_at
      FROM conversations c
      JOIN contacts ct ON ct.id = c.contact_id
      LEFT JOIN messages m ON m.id = c.last_message_id
      """.formatted(Database.qualified("c", COLUMNS));
  private static final String BELONGS = "SELECT 1 FROM conversations WHERE id = $1 AND organization_id = $2";
  private static final String DETAIL = LISTED + "WHERE c.id = $1 AND c.organization_id = $2";
  // the contact's other conversations, newest first, with their size and time span
  private static final String EARLIER = """
      SELECT c.id, c.channel_id, c.status, c.created_at, c.last_message_at,
             (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count
      FROM conversations c
      WHERE c.contact_id = $1 AND c.organization_id = $2 AND c.id <> $3
        AND ($4::timestamptz IS NULL OR (c.created_at, c.id) < ($4, $5))
      ORDER BY c.created_at DESC, c.id DESC LIMIT $6
      """;

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

  /** A conversation's share of a group of inbound messages, for {@link #recordInboundAll}. */
  public record Received(UUID conversationId, int count, UUID lastMessageId, Instant lastSentAt,
      Instant windowExpiresAt) {}

  /** A (channel, contact) pair's latest conversation, as {@link #lockLatestAll} found and locked it. */
  public record Latest(UUID id, boolean open) {}

  /**
   * The first half of {@link #openFor} for many distinct (channel, contact) pairs in one statement: each pair's open
   * (else latest) conversation, locked in the order given; aligned with the pairs, null where there is none.
   */
  public Future<List<Latest>> lockLatestAll(SqlClient tx, List<UUID> channelIds, List<UUID> contactIds) {
    return tx.preparedQuery(LOCK_LATEST_ALL)
        .execute(Database.arrays(channelIds.toArray(UUID[]::new), contactIds.toArray(UUID[]::new)))
        .map(rows -> {
          List<Latest> latest = new ArrayList<>(Collections.nCopies(channelIds.size(), (Latest) null));
          for (Row row : rows) {
            latest.set(row.getLong("i").intValue() - 1,
                new Latest(row.getUUID("id"), "open".equals(row.getString("status"))));
          }
          return latest;
        });
  }

  /** A new open conversation with its first inbound messages already counted, for {@link #insertOpenAll}. */
  public record NewConversation(UUID id, UUID organizationId, UUID channelId, UUID contactId, int unreadCount,
      UUID lastMessageId, Instant lastMessageAt, Instant windowExpiresAt) {}

  /**
   * The second half of {@link #openFor} for many, written once with the counters its first messages give. The rows
   * inserted, by id; a conversation missing from the answer was not inserted because another transaction opened
   * one for the same pair meanwhile.
   */
  public Future<Map<UUID, ConversationRow>> insertOpenAll(SqlClient tx, List<NewConversation> fresh) {
    return tx.preparedQuery(INSERT_OPEN_ALL).execute(Database.arrays(
            fresh.stream().map(NewConversation::id).toArray(UUID[]::new),
            fresh.stream().map(NewConversation::organizationId).toArray(UUID[]::new),
            fresh.stream().map(NewConversation::channelId).toArray(UUID[]::new),
            fresh.stream().map(NewConversation::contactId).toArray(UUID[]::new),
            fresh.stream().map(NewConversation::unreadCount).toArray(Integer[]::new),
            fresh.stream().map(NewConversation::lastMessageId).toArray(UUID[]::new),
            fresh.stream().map(c -> utc(c.lastMessageAt())).toArray(OffsetDateTime[]::new),
            fresh.stream().map(c -> utc(c.windowExpiresAt())).toArray(OffsetDateTime[]::new)))
        .map(rows -> {
          Map<UUID, ConversationRow> inserted = new java.util.HashMap<>();
          rows.forEach(row -> inserted.put(row.getUUID("id"), map(row)));
          return inserted;
        });
  }

  /** Corrects a conversation {@link #insertOpenAll} counted {@code missing} messages too many for. */
  public Future<ConversationRow> recount(SqlClient tx, UUID conversationId, int missing) {
    return tx.preparedQuery(RECOUNT).execute(Tuple.of(conversationId, missing)).map(ConversationStore::one);
  }

  /** {@link #recordInbound} for many conversations at once, each with its count of new messages. */
  public Future<List<ConversationRow>> recordInboundAll(SqlClient tx, List<Received> received) {
    return tx.preparedQuery(RECORD_INBOUND_ALL).execute(Database.arrays(
            received.stream().map(Received::conversationId).toArray(UUID[]::new),
            received.stream().map(Received::count).toArray(Integer[]::new),
            received.stream().map(Received::lastMessageId).toArray(UUID[]::new),
            received.stream().map(r -> utc(r.lastSentAt())).toArray(OffsetDateTime[]::new),
            received.stream().map(r -> utc(r.windowExpiresAt())).toArray(OffsetDateTime[]::new)))
        .map(rows -> {
          List<ConversationRow> updated = new ArrayList<>();
          rows.forEach(row -> updated.add(map(row)));
          return updated;
        });
  }

  /** Counts an inbound message: open, unread + 1, last message, window pushed out to {@code windowExpiresAt}. */
  public Future<ConversationRow> recordInbound(
      SqlClient tx, UUID conversationId, UUID messageId, Instant sentAt, Instant windowExpiresAt) {
    return tx.preparedQuery(RECORD_INBOUND)
        .execute(Tuple.of(conversationId, messageId, utc(sentAt), utc(windowExpiresAt)))
        .map(ConversationStore::one);
  }

  /** Records a message the customer did not send (system, outbound) as the latest activity; counters stay. */
  public Future<ConversationRow> recordActivity(SqlClient tx, UUID conversationId, UUID messageId, Instant at) {
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

  /** The conversation if it belongs to the organization, locked until the transaction ends. */
  public Future<Optional<ConversationRow>> lock(SqlClient tx, UUID organizationId, UUID id) {
    return tx.preparedQuery(LOCK).execute(Tuple.of(id, organizationId))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(one(rows)));
  }

  /**
   * Makes {@code userId} (null: nobody) the one active assignee: the previous assignment ends and stays in the
   * history.
   */
  public Future<ConversationRow> assign(SqlClient tx, ConversationRow conversation, UUID userId, UUID assignedBy) {
    Future<?> history = tx.preparedQuery(END_ASSIGNMENT).execute(Tuple.of(conversation.id()));
    if (userId != null) {
      history = history.compose(v -> tx.preparedQuery(START_ASSIGNMENT).execute(Tuple.of(UUID.randomUUID(),
          conversation.organizationId(), conversation.id(), userId, assignedBy)));
    }
    return history.compose(v -> tx.preparedQuery(SET_ASSIGNEE).execute(Tuple.of(conversation.id(), userId)))
        .map(ConversationStore::one);
  }

  /** The conversation's assignments, newest first (at most 50): who, by whom, from when until when. */
  public Future<JsonArray> assignments(SqlClient client, UUID conversationId) {
    return client.preparedQuery(ASSIGNMENTS).execute(Tuple.of(conversationId)).map(rows -> {
      var history = new JsonArray();
      rows.forEach(row -> history.add(new JsonObject()
          .put("user_id", row.getUUID("user_id").toString())
          .put("assigned_by", row.getUUID("assigned_by") == null ? null : row.getUUID("assigned_by").toString())
          .put("started_at", Timestamps.iso(row.getOffsetDateTime("started_at")))
          .put("ended_at", Timestamps.iso(row.getOffsetDateTime("ended_at")))));
      return history;
    });
  }

  public Future<ConversationRow> setStatus(SqlClient tx, UUID id, String status) {
    return tx.preparedQuery(SET_STATUS).execute(Tuple.of(id, status)).map(ConversationStore::one);
  }

  public Future<ConversationRow> setBot(SqlClient tx, UUID id, String state, String name) {
    return tx.preparedQuery(SET_BOT).execute(Tuple.of(id, state, name)).map(ConversationStore::one);
  }

  public Future<ConversationRow> markRead(SqlClient tx, UUID id) {
    return tx.preparedQuery(MARK_READ).execute(Tuple.of(id)).map(ConversationStore::one);
  }

  public Future<ConversationRow> markUnread(SqlClient tx, UUID id) {
    return tx.preparedQuery(MARK_UNREAD).execute(Tuple.of(id)).map(ConversationStore::one);
  }

  public Future<ConversationRow> changeLabels(SqlClient tx, UUID id, List<String> add, List<String> remove) {
    return tx.preparedQuery(CHANGE_LABELS)
        .execute(Tuple.of(id, add.toArray(String[]::new), remove.toArray(String[]::new)))
        .map(ConversationStore::one);
  }

  /** Filters of the inbox list; a null field does not filter. {@code text} matches contact name or number. */
  public record ListFilter(String status, UUID assigneeId, boolean unassigned, UUID channelId, String label,
      boolean unreadOnly, String text) {}

  /**
   * A page of the organization's conversations, most recent activity first, each with its contact and last
   * message: one statement, whatever the filters (each filter has an index in list order).
   */
  public Future<List<Listed>> list(SqlClient client, UUID organizationId, ListFilter filter, Instant afterActivity,
      UUID afterId, int limit) {
    Map.Entry<String, Tuple> query = listQuery(organizationId, filter, afterActivity, afterId, limit);
    return client.preparedQuery(query.getKey()).execute(query.getValue()).map(rows -> {
      List<Listed> page = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> page.add(listed(row)));
      return page;
    });
  }

  /**
   * The statement and parameters of {@link #list} (also what the query-plan test explains). A page filtered by label
   * or text is planned for its values each time: which index serves it depends on how rare the value is (a generic
   * plan walked the whole activity index for a rare label). Every other filter has one best index whatever its
   * values, so its statement stays prepared and planned once per connection. The status is written into the
   * statement, not bound, so that a generic plan can use the index of open conversations; so is the page size.
   */
  public static Map.Entry<String, Tuple> listQuery(UUID organizationId, ListFilter filter, Instant afterActivity,
      UUID afterId, int limit) {
    boolean valueDependent = filter.label() != null || filter.text() != null;
    var sql = new StringBuilder(valueDependent ? Database.PLAN_PER_EXECUTION : "").append(LISTED)
        .append("WHERE c.organization_id = $1");
    var params = Tuple.of(organizationId);
    if (filter.status() != null) {
      sql.append(switch (filter.status()) {
        case "open" -> " AND c.status = 'open'";
        case "closed" -> " AND c.status = 'closed'";
        default -> throw new IllegalArgumentException("no conversation status " + filter.status());
      });
    }
    if (filter.unassigned()) {
      sql.append(" AND c.assignee_id IS NULL");
    } else if (filter.assigneeId() != null) {
      params.addValue(filter.assigneeId());
      sql.append(" AND c.assignee_id = $").append(params.size());
    }
    if (filter.channelId() != null) {
      params.addValue(filter.channelId());
      sql.append(" AND c.channel_id = $").append(params.size());
    }
    if (filter.label() != null) {
      params.addValue(new String[] {filter.label()});
      sql.append(" AND c.labels @> $").append(params.size()).append("::text[]");
    }
    if (filter.unreadOnly()) {
      sql.append(" AND c.unread_count > 0");
    }
    if (filter.text() != null) {
      params.addValue(Database.containing(filter.text()));
      int p = params.size();
      sql.append(" AND (lower(ct.name) LIKE $").append(p).append(" OR ct.mobile_number LIKE $").append(p)
          .append(" OR lower(ct.email) LIKE $").append(p).append(")");
    }
    if (afterActivity != null) {
      params.addValue(utc(afterActivity)).addValue(afterId);
      sql.append(" AND (c.last_message_at, c.id) < ($").append(params.size() - 1).append(", $")
          .append(params.size()).append(")");
    }
    // the page size is written in too: a generic plan with a bound LIMIT expects a tenth of the table and gathers it
    // with parallel workers
    sql.append(" ORDER BY c.last_message_at DESC, c.id DESC LIMIT ").append(limit);
    return Map.entry(sql.toString(), params);
  }

  /** Whether the conversation exists and belongs to the organization. */
  public Future<Boolean> belongs(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(BELONGS).execute(Tuple.of(id, organizationId)).map(rows -> rows.rowCount() > 0);
  }

  /** One conversation of the organization as a list row. */
  public Future<Optional<Listed>> detail(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(DETAIL).execute(Tuple.of(id, organizationId))
        .map(rows -> rows.rowCount() == 0 ? Optional.empty() : Optional.of(listed(rows.iterator().next())));
  }

  /** The contact's other conversations (any channel), newest first: id, channel, status, time span, size. */
  public Future<List<JsonObject>> earlier(SqlClient client, UUID organizationId, ConversationRow conversation,
      OffsetDateTime afterCreated, UUID afterId, int limit) {
    return client.preparedQuery(EARLIER)
        .execute(Tuple.of(conversation.contactId(), organizationId, conversation.id(), afterCreated, afterId, limit))
        .map(rows -> {
          List<JsonObject> page = new ArrayList<>(rows.rowCount());
          rows.forEach(row -> page.add(new JsonObject()
              .put("id", row.getUUID("id").toString())
              .put("channel_id", row.getUUID("channel_id").toString())
              .put("status", row.getString("status"))
              .put("started_at", Timestamps.iso(row.getOffsetDateTime("created_at")))
              .put("last_message_at", Timestamps.iso(row.getOffsetDateTime("last_message_at")))
              .put("message_count", row.getLong("message_count"))));
          return page;
        });
  }

  private static Listed listed(Row row) {
    var contact = new ContactStore.ContactRef(row.getUUID("contact_id"), null, row.getString("contact_name"),
        row.getString("contact_mobile_number"), row.getString("contact_country"), false, false).toJson();
    JsonObject last = row.getUUID("last_id") == null ? null : MessageStore.MessageRow.preview(row.getUUID("last_id"),
        row.getString("last_direction"), row.getString("last_type"), row.getString("last_body"),
        row.getString("last_status"), instant(row.getOffsetDateTime("last_sent_at")));
    return new Listed(map(row), contact, last);
  }

  /** A conversation with what its list row embeds. */
  public record Listed(ConversationRow row, JsonObject contact, JsonObject lastMessage) {
    public JsonObject toJson() {
      return row.toJson(contact, lastMessage);
    }

    public Listed withRow(ConversationRow newer) {
      return new Listed(newer, contact, lastMessage);
    }
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

    /** This row with the unread count and window expiry of a newer Redis copy. */
    public ConversationRow withCounters(int unread, Instant windowExpiry) {
      return new ConversationRow(id, organizationId, channelId, contactId, status, assigneeId, botState, unread,
          lastMessageId, lastMessageAt, windowExpiry, windowClosingFired, windowClosedFired, labels, botName,
          botUpdatedAt, version, createdAt, updatedAt);
    }

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

package dev.parley.store;

import dev.parley.channel.Channel;
import dev.parley.provider.ChannelSecrets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Channels: lookups for webhook routing, the admin API's views and changes, and health bookkeeping. */
public final class ChannelStore {
  private static final String COLUMNS = "id, organization_id, provider, name, external_id, status, credentials";
  private static final String BY_ID = "SELECT " + COLUMNS + " FROM channels WHERE id = $1";
  private static final String BY_EXTERNAL_ID =
      "SELECT " + COLUMNS + " FROM channels WHERE organization_id = $1 AND provider = $2 AND external_id = $3";
  private static final String INSERT = """
      INSERT INTO channels (id, organization_id, provider, name, external_id, display_address, credentials)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      """;
  private static final String TOUCH_INBOUND = """
      UPDATE channels c SET last_inbound_at = GREATEST(c.last_inbound_at, t.at)
      FROM unnest($1::uuid[], $2::timestamptz[]) AS t(id, at) WHERE c.id = t.id
      """;
  private static final String TOUCH_SEND = """
      UPDATE channels c SET last_send_at = GREATEST(c.last_send_at, t.at)
      FROM unnest($1::uuid[], $2::timestamptz[]) AS t(id, at) WHERE c.id = t.id
      """;
  private static final String RECORD_ERROR = """
      UPDATE channels SET last_error = $2, last_error_at = $3, updated_at = now() WHERE id = $1
      """;

  private static final String VIEW_COLUMNS = """
      id, provider, name, external_id, display_address, status, ARRAY(SELECT jsonb_object_keys(credentials)) AS secrets,
      last_inbound_at, last_send_at, last_error, last_error_at, created_at, updated_at""";
  private static final String LIST = "SELECT " + VIEW_COLUMNS + """
       FROM channels
      WHERE organization_id = $1
        AND ($2::text IS NULL OR provider = $2)
        AND ($3::text IS NULL OR status = $3)
        AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5))
      ORDER BY created_at, id
      LIMIT $6
      """;
  private static final String UPDATE = """
      UPDATE channels SET name = coalesce($3, name), display_address = coalesce($4, display_address),
             status = coalesce($5, status), credentials = jsonb_strip_nulls(credentials || coalesce($6, '{}'::jsonb)),
             updated_at = now()
       WHERE id = $1 AND organization_id = $2
      RETURNING\s""" + VIEW_COLUMNS;

  /** A channel as the API shows it: never the credentials, only which ones are set. */
  public record ChannelView(UUID id, String provider, String name, String externalId, String displayAddress,
      String status, List<String> credentialNames, OffsetDateTime lastInboundAt, OffsetDateTime lastSendAt,
      String lastError, OffsetDateTime lastErrorAt, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("provider", provider)
          .put("name", name)
          .put("external_id", externalId)
          .put("display_address", displayAddress)
          .put("status", status)
          .put("credentials_set", new JsonArray(credentialNames.stream().sorted().toList()))
          .put("webhook_path", "/webhooks/" + provider + "/" + id)
          .put("health", new JsonObject()
              .put("last_inbound_at", Timestamps.iso(lastInboundAt))
              .put("last_send_at", Timestamps.iso(lastSendAt))
              .put("last_error", lastError)
              .put("last_error_at", Timestamps.iso(lastErrorAt)))
          .put("created_at", Timestamps.iso(createdAt))
          .put("updated_at", Timestamps.iso(updatedAt));
    }

    static ChannelView from(Row row) {
      String[] secrets = row.getArrayOfStrings("secrets");
      return new ChannelView(row.getUUID("id"), row.getString("provider"), row.getString("name"),
          row.getString("external_id"), row.getString("display_address"), row.getString("status"),
          secrets == null ? List.of() : List.of(secrets), row.getOffsetDateTime("last_inbound_at"),
          row.getOffsetDateTime("last_send_at"), row.getString("last_error"), row.getOffsetDateTime("last_error_at"),
          row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
    }
  }

  /** Another channel already has this provider account id. */
  public static final class ChannelExists extends RuntimeException {
    ChannelExists() {
      super("channel exists", null, false, false);
    }
  }

  private final Pool pool;

  public ChannelStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Optional<Channel>> find(UUID id) {
    return find(pool, id);
  }

  /** The channel, read through {@code client} (inside a transaction, its own connection: never a second one). */
  public Future<Optional<Channel>> find(SqlClient client, UUID id) {
    return client.preparedQuery(BY_ID).execute(Tuple.of(id)).map(rows -> first(rows.iterator()));
  }

  /** The organization's channel of {@code provider} whose provider account id is {@code externalId}. */
  public Future<Optional<Channel>> findByExternalId(UUID organizationId, String provider, String externalId) {
    return pool.preparedQuery(BY_EXTERNAL_ID)
        .execute(Tuple.of(organizationId, provider, externalId))
        .map(rows -> first(rows.iterator()));
  }

  public Future<Void> create(SqlClient client, Channel channel, String displayAddress) {
    return client.preparedQuery(INSERT)
        .execute(Tuple.of(channel.id(), channel.organizationId(), channel.provider(), channel.name(),
            channel.externalId(), displayAddress, channel.secrets().credentials()))
        .mapEmpty();
  }

  /** Up to {@code limit} of the organization's channels in creation order, after the given key. */
  public Future<List<ChannelView>> list(UUID organizationId, String provider, String status,
      OffsetDateTime afterCreated, UUID afterId, int limit) {
    return pool.preparedQuery(LIST).execute(Tuple.of(organizationId, provider, status, afterCreated, afterId, limit))
        .map(rows -> {
          List<ChannelView> channels = new ArrayList<>(rows.size());
          rows.forEach(row -> channels.add(ChannelView.from(row)));
          return channels;
        });
  }

  public Future<Optional<ChannelView>> view(UUID organizationId, UUID id) {
    return pool.preparedQuery("SELECT " + VIEW_COLUMNS + " FROM channels WHERE id = $1 AND organization_id = $2")
        .execute(Tuple.of(id, organizationId))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(ChannelView.from(rows.iterator().next())));
  }

  /** Creates a channel; fails with {@link ChannelExists} when its provider account is connected already. */
  public Future<ChannelView> create(Channel channel, String displayAddress) {
    return create(pool, channel, displayAddress)
        .compose(v -> view(channel.organizationId(), channel.id()))
        .map(Optional::orElseThrow)
        .recover(failure -> Future.failedFuture(
            failure instanceof PgException pg && "23505".equals(pg.getSqlState()) ? new ChannelExists() : failure));
  }

  /**
   * Changes the given fields (null leaves one as it is); {@code credentials} is merged into the stored ones, a
   * null value removing that credential.
   */
  public Future<Optional<ChannelView>> update(UUID organizationId, UUID id, String name, String displayAddress,
      String status, JsonObject credentials) {
    return pool.preparedQuery(UPDATE).execute(Tuple.of(id, organizationId, name, displayAddress, status, credentials))
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(ChannelView.from(rows.iterator().next())));
  }

  /** Moves each channel's last inbound time forward to its time in {@code at} (the channel's health). */
  public static Future<Void> touchInbound(SqlClient client, UUID[] channelIds, OffsetDateTime[] at) {
    return client.preparedQuery(TOUCH_INBOUND).execute(Tuple.tuple().addArrayOfUUID(channelIds).addArrayOfOffsetDateTime(at)).mapEmpty();
  }

  /** Moves each channel's last successful send time forward to its time in {@code at} (the channel's health). */
  public static Future<Void> touchSend(SqlClient client, UUID[] channelIds, OffsetDateTime[] at) {
    return client.preparedQuery(TOUCH_SEND).execute(Tuple.tuple().addArrayOfUUID(channelIds).addArrayOfOffsetDateTime(at)).mapEmpty();
  }

  public static Future<Void> recordError(SqlClient client, UUID channelId, String error, Instant at) {
    return client.preparedQuery(RECORD_ERROR).execute(Tuple.of(channelId, error, utc(at))).mapEmpty();
  }

  static OffsetDateTime utc(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  private static Optional<Channel> first(java.util.Iterator<Row> rows) {
    if (!rows.hasNext()) {
      return Optional.empty();
    }
    Row row = rows.next();
    return Optional.of(new Channel(
        row.getUUID("id"),
        row.getUUID("organization_id"),
        row.getString("provider"),
        row.getString("name"),
        row.getString("external_id"),
        "active".equals(row.getString("status")),
        new ChannelSecrets((JsonObject) row.getValue("credentials"))));
  }
}

package dev.parley.store;

import dev.parley.channel.Channel;
import dev.parley.provider.ChannelSecrets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;

/** Channels: lookups for webhook routing, creation, and health bookkeeping. */
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
      UPDATE channels SET last_inbound_at = GREATEST(last_inbound_at, $2) WHERE id = ANY($1)
      """;
  private static final String RECORD_ERROR = """
      UPDATE channels SET last_error = $2, last_error_at = $3, updated_at = now() WHERE id = $1
      """;

  private final Pool pool;

  public ChannelStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Optional<Channel>> find(UUID id) {
    return pool.preparedQuery(BY_ID).execute(Tuple.of(id)).map(rows -> first(rows.iterator()));
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

  public static Future<Void> touchInbound(SqlClient client, UUID[] channelIds, Instant at) {
    return client.preparedQuery(TOUCH_INBOUND).execute(Tuple.of(channelIds, utc(at))).mapEmpty();
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

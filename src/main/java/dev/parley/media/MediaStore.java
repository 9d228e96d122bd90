package dev.parley.media;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of {@code media_files} and {@code media_uploads}. Claims use the database's clock and row locks
 * ({@code SKIP LOCKED}), so several nodes share the fetching without fetching a file twice while its lease runs.
 */
final class MediaStore {
  static final String MEDIA_MESSAGE_TYPES = "('image', 'video', 'audio', 'voice', 'document', 'sticker')";
  /** Webhook media ids expire after 7 days; older messages are not looked for (a day of slack). */
  private static final String SWEEP_WINDOW = "interval '8 days'";
  private static final String COLUMNS = """
      id, organization_id, channel_id, message_id, direction, message_type, provider_media_id, mime_type, size_bytes,
      sha256, filename, storage_key, state, error, attempts, expires_at, created_at""";

  private static final String INSERT_UPLOAD = """
      INSERT INTO media_files (id, organization_id, direction, message_type, mime_type, size_bytes, sha256, filename,
        storage_key, state, expires_at)
      VALUES ($1, $2, 'outbound', $3, $4, $5, $6, $7, $8, 'stored', $9)
      RETURNING %s""".formatted(COLUMNS);
  private static final String FIND = "SELECT " + COLUMNS + " FROM media_files WHERE organization_id = $1 AND id = $2";
  // inbound media messages without a file row get one, claimed for the lease; no row back means someone else has it
  private static final String CLAIM_NEW = """
      INSERT INTO media_files (id, organization_id, channel_id, message_id, direction, message_type, provider_media_id,
        mime_type, filename, state, next_attempt_at)
      SELECT gen_random_uuid(), m.organization_id, m.channel_id, m.id, 'inbound', m.type, m.content->>'media_id',
             coalesce(m.content->>'mime_type', 'application/octet-stream'), m.content->>'filename', 'pending',
             now() + make_interval(secs => $1)
      FROM messages m
      WHERE m.direction = 'inbound' AND m.type IN %s AND m.created_at > now() - %s
        AND m.content ? 'media_id'
        AND NOT EXISTS (SELECT 1 FROM media_files f WHERE f.message_id = m.id)
        AND %%s
      ORDER BY m.created_at
      LIMIT $2
      ON CONFLICT (message_id) DO NOTHING
      RETURNING %s""".formatted(MEDIA_MESSAGE_TYPES, SWEEP_WINDOW, COLUMNS);
  private static final String CLAIM_NEW_ANY = CLAIM_NEW.formatted("true");
  private static final String CLAIM_NEW_LISTED = CLAIM_NEW.formatted("m.id = ANY($3)");
  private static final String CLAIM_DUE = """
      UPDATE media_files SET next_attempt_at = now() + make_interval(secs => $1), updated_at = now()
      WHERE id IN (SELECT id FROM media_files WHERE state = 'pending' AND next_attempt_at <= now()
                   ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
      RETURNING %s""".formatted(COLUMNS);
  private static final String STORED = """
      UPDATE media_files SET state = 'stored', mime_type = $2, size_bytes = $3, sha256 = $4, storage_key = $5,
        expires_at = $6, error = NULL, attempts = attempts + 1, next_attempt_at = NULL, updated_at = now()
      WHERE id = $1 AND state = 'pending'
      RETURNING %s""".formatted(COLUMNS);
  private static final String RETRY = """
      UPDATE media_files SET error = $2, attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => $3), updated_at = now()
      WHERE id = $1 AND state = 'pending'""";
  private static final String FAILED = """
      UPDATE media_files SET state = 'failed', error = $2, attempts = attempts + 1, next_attempt_at = NULL,
        updated_at = now()
      WHERE id = $1 AND state = 'pending'
      RETURNING %s""".formatted(COLUMNS);
  private static final String EXPIRE_DUE = """
      UPDATE media_files SET state = 'expired', updated_at = now()
      WHERE id IN (SELECT id FROM media_files WHERE state = 'stored' AND expires_at <= now()
                   ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING %s""".formatted(COLUMNS);
  // expired files whose deletion did not happen right after expiry (a crash, a disk error): tried again later
  private static final String UNDELETED = """
      SELECT %s FROM media_files
      WHERE state = 'expired' AND storage_key IS NOT NULL AND updated_at < now() - interval '5 minutes'
      ORDER BY updated_at LIMIT $1""".formatted(COLUMNS);
  private static final String BYTES_DELETED =
      "UPDATE media_files SET storage_key = NULL, updated_at = now() WHERE id = $1 AND state = 'expired'";
  private static final String PROVIDER_ID = """
      SELECT provider_media_id FROM media_uploads WHERE file_id = $1 AND channel_id = $2 AND expires_at > $3""";
  private static final String REMEMBER_UPLOAD = """
      INSERT INTO media_uploads (file_id, channel_id, provider_media_id, expires_at) VALUES ($1, $2, $3, $4)
      ON CONFLICT (file_id, channel_id) DO UPDATE
        SET provider_media_id = EXCLUDED.provider_media_id, uploaded_at = now(), expires_at = EXCLUDED.expires_at""";

  /** Records a file an agent uploaded, already in the storage. */
  Future<MediaFile> insertUpload(SqlClient client, UUID id, UUID organizationId, String type, String mimeType,
      long size, String sha256, String filename, String storageKey, Instant expiresAt) {
    return client.preparedQuery(INSERT_UPLOAD)
        .execute(Tuple.from(new Object[] {id, organizationId, type, mimeType, size, sha256, filename, storageKey,
            utc(expiresAt)}))
        .map(rows -> map(rows.iterator().next()));
  }

  /** The organization's file; empty when there is none (or it is another organization's). */
  Future<Optional<MediaFile>> find(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(FIND).execute(Tuple.of(organizationId, id)).map(MediaStore::first);
  }

  /**
   * Creates the file rows of inbound media messages that have none yet (all recent ones when {@code messageIds} is
   * null, else those listed), each claimed for {@code lease}; answers the rows this call created.
   */
  Future<List<MediaFile>> claimNew(SqlClient client, UUID[] messageIds, int limit, Duration lease) {
    return messageIds == null
        ? client.preparedQuery(CLAIM_NEW_ANY).execute(Tuple.of(seconds(lease), limit)).map(MediaStore::all)
        : client.preparedQuery(CLAIM_NEW_LISTED).execute(Tuple.of(seconds(lease), limit, messageIds))
            .map(MediaStore::all);
  }

  /** Pending files whose next attempt is due (a retry, or a lease that ran out), each claimed for {@code lease}. */
  Future<List<MediaFile>> claimDue(SqlClient client, int limit, Duration lease) {
    return client.preparedQuery(CLAIM_DUE).execute(Tuple.of(seconds(lease), limit)).map(MediaStore::all);
  }

  /** A pending file is stored; empty when it was not pending any more. */
  Future<Optional<MediaFile>> stored(SqlClient tx, UUID id, String mimeType, long size, String sha256, String key,
      Instant expiresAt) {
    return tx.preparedQuery(STORED)
        .execute(Tuple.from(new Object[] {id, mimeType, size, sha256, key, utc(expiresAt)}))
        .map(MediaStore::first);
  }

  /** Records a failed attempt and when to try again. */
  Future<Void> retry(SqlClient client, UUID id, String error, Duration delay) {
    return client.preparedQuery(RETRY).execute(Tuple.of(id, error, seconds(delay))).mapEmpty();
  }

  /** A pending file failed for good; empty when it was not pending any more. */
  Future<Optional<MediaFile>> failed(SqlClient tx, UUID id, String error) {
    return tx.preparedQuery(FAILED).execute(Tuple.of(id, error)).map(MediaStore::first);
  }

  /** Marks up to {@code limit} stored files past their expiry as expired (their bytes are deleted after commit). */
  Future<List<MediaFile>> expireDue(SqlClient tx, int limit) {
    return tx.preparedQuery(EXPIRE_DUE).execute(Tuple.of(limit)).map(MediaStore::all);
  }

  /** Expired files whose bytes are still in the storage a while after they expired. */
  Future<List<MediaFile>> undeleted(SqlClient client, int limit) {
    return client.preparedQuery(UNDELETED).execute(Tuple.of(limit)).map(MediaStore::all);
  }

  /** The bytes of an expired file are gone from the storage. */
  Future<Void> bytesDeleted(SqlClient client, UUID id) {
    return client.preparedQuery(BYTES_DELETED).execute(Tuple.of(id)).mapEmpty();
  }

  /** The provider's media id the file got on the channel, if it is still valid at {@code validAt}. */
  Future<Optional<String>> providerMediaId(SqlClient client, UUID fileId, UUID channelId, Instant validAt) {
    return client.preparedQuery(PROVIDER_ID).execute(Tuple.of(fileId, channelId, utc(validAt)))
        .map(rows -> rows.rowCount() == 0
            ? Optional.empty()
            : Optional.of(rows.iterator().next().getString("provider_media_id")));
  }

  Future<Void> rememberUpload(SqlClient client, UUID fileId, UUID channelId, String providerMediaId,
      Instant expiresAt) {
    return client.preparedQuery(REMEMBER_UPLOAD)
        .execute(Tuple.of(fileId, channelId, providerMediaId, utc(expiresAt)))
        .mapEmpty();
  }

  private static double seconds(Duration duration) {
    return duration.toMillis() / 1000.0;
  }

  private static OffsetDateTime utc(Instant at) {
    return at == null ? null : at.atOffset(ZoneOffset.UTC);
  }

  private static Optional<MediaFile> first(RowSet<Row> rows) {
    return rows.rowCount() == 0 ? Optional.empty() : Optional.of(map(rows.iterator().next()));
  }

  private static List<MediaFile> all(RowSet<Row> rows) {
    List<MediaFile> files = new ArrayList<>(rows.rowCount());
    rows.forEach(row -> files.add(map(row)));
    return files;
  }

  private static MediaFile map(Row row) {
    Long size = row.getLong("size_bytes");
    OffsetDateTime expires = row.getOffsetDateTime("expires_at");
    return new MediaFile(
        row.getUUID("id"),
        row.getUUID("organization_id"),
        row.getUUID("channel_id"),
        row.getUUID("message_id"),
        row.getString("direction"),
        row.getString("message_type"),
        row.getString("provider_media_id"),
        row.getString("mime_type"),
        size == null ? 0 : size,
        row.getString("sha256"),
        row.getString("filename"),
        row.getString("storage_key"),
        row.getString("state"),
        row.getString("error"),
        row.getInteger("attempts"),
        expires == null ? null : expires.toInstant(),
        row.getOffsetDateTime("created_at").toInstant());
  }
}

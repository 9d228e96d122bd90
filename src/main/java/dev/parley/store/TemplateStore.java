package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * WhatsApp message templates: each channel's copy of its provider's template list ({@code templates}), replaced as
 * a whole by a sync, and the bookkeeping of periodic syncs ({@code template_syncs}). Every read is scoped to the
 * caller's organization.
 */
public final class TemplateStore {
  private static final String COLUMNS = """
      id, organization_id, channel_id, provider_template_id, name, language, category, status, parameter_format,
      components, synced_at, created_at, updated_at""";
  private static final String FIND = "SELECT " + COLUMNS
      + " FROM templates WHERE organization_id = $1 AND channel_id = $2 AND name = $3 AND language = $4";
  private static final String GET = "SELECT " + COLUMNS + " FROM templates WHERE id = $1 AND organization_id = $2";
  // alphabetical by name, then language, paged by (name, language, id)
  private static final String LIST = "SELECT " + COLUMNS + """
       FROM templates
      WHERE organization_id = $1
        AND ($2::uuid IS NULL OR channel_id = $2)
        AND ($3::text IS NULL OR status = $3)
        AND ($4::text IS NULL OR name = $4)
        AND ($5::text IS NULL OR language = $5)
        AND ($6::text IS NULL OR lower(name) LIKE $6)
        AND ($7::text IS NULL OR (name, language, id) > ($7, $8, $9))
      ORDER BY name, language, id
      LIMIT $10
      """;
  // one sync of a channel at a time (on demand, periodic, any node); released at commit
  private static final String LOCK_CHANNEL = "SELECT pg_advisory_xact_lock(hashtextextended('template-sync:' || $1::text, 0))";
  // updated_at moves only when something the provider says changed; now() is the transaction's start, so a row
  // whose updated_at equals it was inserted or changed by this statement
  private static final String UPSERT = """
      INSERT INTO templates (id, organization_id, channel_id, provider_template_id, name, language, category, status,
                             parameter_format, components, synced_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
      ON CONFLICT (channel_id, name, language) DO UPDATE SET
             provider_template_id = EXCLUDED.provider_template_id, category = EXCLUDED.category,
             status = EXCLUDED.status, parameter_format = EXCLUDED.parameter_format,
             components = EXCLUDED.components, synced_at = EXCLUDED.synced_at,
             updated_at = CASE WHEN (templates.provider_template_id, templates.category, templates.status,
                                     templates.parameter_format, templates.components)
                                    IS DISTINCT FROM (EXCLUDED.provider_template_id, EXCLUDED.category, EXCLUDED.status,
                                                      EXCLUDED.parameter_format, EXCLUDED.components)
                               THEN now() ELSE templates.updated_at END
      RETURNING (xmax = 0) AS inserted, (updated_at = now()) AS changed
      """;
  private static final String REMOVE_MISSING = """
      DELETE FROM templates t
      WHERE t.channel_id = $1
        AND NOT EXISTS (SELECT 1 FROM unnest($2::text[], $3::text[]) AS kept(name, language)
                        WHERE kept.name = t.name AND kept.language = t.language)
      """;
  private static final String MARK_SYNCED = """
      INSERT INTO template_syncs (channel_id, claimed_at) VALUES ($1, now())
      ON CONFLICT (channel_id) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
      """;
  // claims every due channel in one statement: a concurrent claimer waits for the row and then finds it not due
  private static final String CLAIM_DUE = """
      INSERT INTO template_syncs (channel_id, claimed_at)
      SELECT c.id, now() FROM channels c
      WHERE c.provider = $1 AND c.status = 'active'
        AND c.credentials ? 'access_token' AND c.credentials ? 'waba_id'
      ON CONFLICT (channel_id) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
        WHERE template_syncs.claimed_at <= now() - make_interval(secs => $2::float8)
      RETURNING channel_id
      """;

  /** A template as the provider lists it (the input of {@link #replace}). */
  public record ProviderTemplate(String providerTemplateId, String name, String language, String category,
      String status, String parameterFormat, JsonArray components) {}

  /** What a sync changed. */
  public record SyncCounts(int added, int updated, int removed, int unchanged) {
    public JsonObject toJson() {
      return new JsonObject().put("added", added).put("updated", updated).put("removed", removed)
          .put("unchanged", unchanged);
    }
  }

  /** The filters of the template list; null fields do not filter. {@code q} is a substring of the name. */
  public record ListFilter(UUID channelId, String status, String name, String language, String q) {}

  /** One template of a channel. */
  public record TemplateRow(UUID id, UUID organizationId, UUID channelId, String providerTemplateId, String name,
      String language, String category, String status, String parameterFormat, JsonArray components,
      OffsetDateTime syncedAt, OffsetDateTime createdAt, OffsetDateTime updatedAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("channel_id", channelId.toString())
          .put("provider_template_id", providerTemplateId)
          .put("name", name)
          .put("language", language)
          .put("category", category)
          .put("status", status)
          .put("parameter_format", parameterFormat)
          .put("components", components.copy())
          .put("synced_at", Timestamps.iso(syncedAt))
          .put("created_at", Timestamps.iso(createdAt))
          .put("updated_at", Timestamps.iso(updatedAt));
    }

    static TemplateRow from(Row row) {
      Object components = row.getValue("components");
      return new TemplateRow(row.getUUID("id"), row.getUUID("organization_id"), row.getUUID("channel_id"),
          row.getString("provider_template_id"), row.getString("name"), row.getString("language"),
          row.getString("category"), row.getString("status"), row.getString("parameter_format"),
          components instanceof JsonArray array ? array : new JsonArray(), row.getOffsetDateTime("synced_at"),
          row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at"));
    }
  }

  /** The channel's template of that name and language, when the channel belongs to the organization. */
  public Future<Optional<TemplateRow>> find(SqlClient client, UUID organizationId, UUID channelId, String name,
      String language) {
    return client.preparedQuery(FIND).execute(Tuple.of(organizationId, channelId, name, language))
        .map(TemplateStore::first);
  }

  public Future<Optional<TemplateRow>> get(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(GET).execute(Tuple.of(id, organizationId)).map(TemplateStore::first);
  }

  /** Up to {@code limit} templates in (name, language, id) order after the given key (all null: the first page). */
  public Future<List<TemplateRow>> list(SqlClient client, UUID organizationId, ListFilter filter, String afterName,
      String afterLanguage, UUID afterId, int limit) {
    String q = filter.q() == null ? null : Database.containing(filter.q());
    return client.preparedQuery(LIST)
        .execute(Tuple.from(new Object[] {organizationId, filter.channelId(), filter.status(), filter.name(),
            filter.language(), q, afterName, afterLanguage, afterId, limit}))
        .map(rows -> {
          List<TemplateRow> templates = new ArrayList<>(rows.rowCount());
          rows.forEach(row -> templates.add(TemplateRow.from(row)));
          return templates;
        });
  }

  /**
   * Makes the channel's templates exactly {@code templates} (one per name and language): new ones are added,
   * changed ones updated, those no longer listed deleted. Call inside a transaction: it holds the channel's sync
   * lock until commit, so concurrent syncs of one channel apply one after the other.
   */
  public Future<SyncCounts> replace(SqlClient tx, UUID organizationId, UUID channelId, List<ProviderTemplate> templates) {
    List<Tuple> batch = new ArrayList<>(templates.size());
    for (ProviderTemplate t : templates) {
      batch.add(Tuple.from(new Object[] {UUID.randomUUID(), organizationId, channelId, t.providerTemplateId(),
          t.name(), t.language(), t.category(), t.status(), t.parameterFormat(), t.components()}));
    }
    String[] names = templates.stream().map(ProviderTemplate::name).toArray(String[]::new);
    String[] languages = templates.stream().map(ProviderTemplate::language).toArray(String[]::new);
    return tx.preparedQuery(LOCK_CHANNEL).execute(Tuple.of(channelId.toString()))
        .compose(v -> batch.isEmpty()
            ? Future.succeededFuture(new int[] {0, 0})
            : tx.preparedQuery(UPSERT).executeBatch(batch).map(TemplateStore::countUpserts))
        .compose(upserted -> tx.preparedQuery(REMOVE_MISSING).execute(Tuple.of(channelId, names, languages))
            .map(removed -> new SyncCounts(upserted[0], upserted[1], removed.rowCount(),
                templates.size() - upserted[0] - upserted[1])))
        .compose(counts -> tx.preparedQuery(MARK_SYNCED).execute(Tuple.of(channelId)).map(counts));
  }

  /**
   * Claims the active WhatsApp channels with an access token and a WABA id whose templates were not synced (or
   * claimed) within {@code interval}; answers their ids. A channel is claimed by one caller only.
   */
  public Future<List<UUID>> claimDue(SqlClient client, String provider, Duration interval) {
    return client.preparedQuery(CLAIM_DUE).execute(Tuple.of(provider, interval.toMillis() / 1000.0)).map(rows -> {
      List<UUID> ids = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> ids.add(row.getUUID("channel_id")));
      return ids;
    });
  }

  /** {added, updated} over every result of the batch. */
  private static int[] countUpserts(RowSet<Row> first) {
    int added = 0;
    int updated = 0;
    for (RowSet<Row> rows = first; rows != null; rows = rows.next()) {
      for (Row row : rows) {
        if (row.getBoolean("inserted")) {
          added++;
        } else if (row.getBoolean("changed")) {
          updated++;
        }
      }
    }
    return new int[] {added, updated};
  }

  private static Optional<TemplateRow> first(RowSet<Row> rows) {
    return rows.rowCount() == 0 ? Optional.empty() : Optional.of(TemplateRow.from(rows.iterator().next()));
  }
}

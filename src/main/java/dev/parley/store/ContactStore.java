package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Contacts and their channel identities. Concurrent first messages from one new number converge on one
 * contact without application locks: the identity's unique (channel, external id) and the contact's unique
 * (organization, mobile number) decide the winner; the losers read what the winner wrote. The REST API reads
 * and writes whole {@link ContactRow}s: a change locks the row, the caller computes the new state, and
 * {@link #save} writes it back.
 */
public final class ContactStore {
  static final String COLUMNS = """
      id, organization_id, name, mobile_number, email, date_of_birth, company_name, address, social_profiles,
      custom_attributes, owner_id, preference, active, labels, created_at, updated_at""";
  private static final String FIND = "SELECT " + COLUMNS + " FROM contacts WHERE id = $1 AND organization_id = $2";
  private static final String LOCK = FIND + " FOR UPDATE";
  // both in id order, so two merges of the same pair cannot deadlock
  private static final String LOCK_PAIR = "SELECT " + COLUMNS
      + " FROM contacts WHERE id = ANY($1) AND organization_id = $2 ORDER BY id FOR UPDATE";
  // newest first; q matches name or e-mail (case-insensitive) or, when it is all digits, the number
  private static final String LIST = "SELECT " + COLUMNS + """
       FROM contacts
      WHERE organization_id = $1
        AND ($2::text IS NULL OR lower(name) LIKE $2 ESCAPE '\\' OR lower(email) LIKE $2 ESCAPE '\\'
             OR ($3::text IS NOT NULL AND mobile_number LIKE $3 ESCAPE '\\'))
        AND ($4::text IS NULL OR labels @> ARRAY[$4::text])
        AND ($5::uuid IS NULL OR owner_id = $5)
        AND ($6::text IS NULL OR preference = $6)
        AND ($7::boolean IS NULL OR active = $7)
        AND ($8::timestamptz IS NULL OR (created_at, id) < ($8, $9))
      ORDER BY created_at DESC, id DESC
      LIMIT $10
      """;
  private static final String INSERT = """
      INSERT INTO contacts (id, organization_id, name, mobile_number, email, date_of_birth, company_name, address,
        social_profiles, custom_attributes, owner_id, preference, active, labels)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
      RETURNING\s""" + COLUMNS;
  private static final String SAVE = """
      UPDATE contacts SET name = $3, mobile_number = $4, email = $5, date_of_birth = $6, company_name = $7,
             address = $8, social_profiles = $9, custom_attributes = $10, owner_id = $11, preference = $12,
             active = $13, labels = $14, updated_at = now()
       WHERE id = $1 AND organization_id = $2
      RETURNING\s""" + COLUMNS;
  private static final String IDENTITIES = """
      SELECT id, channel_id, external_id, user_id, profile_name, username, created_at
        FROM contact_identities WHERE contact_id = $1 ORDER BY created_at, id
      """;
  // the contact's open conversations, locked so a concurrent inbound message waits for the system message
  private static final String OPEN_CONVERSATIONS = """
      SELECT id, channel_id FROM conversations WHERE contact_id = $1 AND status = 'open' ORDER BY id FOR UPDATE
      """;
  private static final String HAS_CONVERSATIONS = "SELECT EXISTS (SELECT 1 FROM conversations WHERE contact_id = $1) AS found";
  private static final String DELETE = "DELETE FROM contacts WHERE id = $1 AND organization_id = $2";
  private static final String FIND_IDENTITY = """
      SELECT ci.id AS identity_id, ci.profile_name, ci.user_id, ci.username,
             c.id, c.name, c.mobile_number, c.address ->> 'country' AS country
      FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
      WHERE ci.channel_id = $1 AND (ci.external_id = $2 OR ($3::text IS NOT NULL AND ci.user_id = $3))
      ORDER BY ci.external_id = $2 DESC
      LIMIT 1
      """;
  private static final String CLAIM_IDENTITY = """
      INSERT INTO contact_identities (id, organization_id, contact_id, channel_id, external_id, user_id, profile_name, username)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (channel_id, external_id) DO NOTHING
      RETURNING id
      """;
  // DO UPDATE (not NOTHING) so an existing contact with this number is locked and returned
  private static final String INSERT_CONTACT = """
      INSERT INTO contacts (id, organization_id, name, mobile_number, address)
      VALUES ($1, $2, $3, $4, jsonb_strip_nulls(jsonb_build_object('country', $5::text)))
      ON CONFLICT (organization_id, mobile_number) WHERE mobile_number IS NOT NULL
      DO UPDATE SET name = COALESCE(contacts.name, EXCLUDED.name)
      RETURNING id, name, mobile_number, address ->> 'country' AS country, (xmax = 0) AS inserted
      """;
  // set-based forms of the statements above, for the senders of a group of inbound messages
  // each sender's identity and contact, with the profile stored on the identity, and the (channel, contact) pair's
  // open (else latest) conversation locked until commit: one round trip where a lookup and a lock took two
  private static final String FIND_IDENTITIES = """
      SELECT k.i, f.identity_id, f.id, f.name, f.mobile_number, f.country, f.profile_name, f.user_id, f.username,
             cv.id AS conversation_id, cv.status AS conversation_status
      FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS k(channel_id, external_id, user_id, i)
      CROSS JOIN LATERAL (
        SELECT ci.id AS identity_id, ci.profile_name, ci.user_id, ci.username,
               c.id, c.name, c.mobile_number, c.address ->> 'country' AS country
        FROM contact_identities ci JOIN contacts c ON c.id = ci.contact_id
        WHERE ci.channel_id = k.channel_id
          AND (ci.external_id = k.external_id OR (k.user_id IS NOT NULL AND ci.user_id = k.user_id))
        ORDER BY ci.external_id = k.external_id DESC
        LIMIT 1) f
      LEFT JOIN LATERAL (
        SELECT id, status FROM conversations WHERE channel_id = k.channel_id AND contact_id = f.id
        ORDER BY status = 'open' DESC, created_at DESC LIMIT 1 FOR UPDATE) cv ON true
      """;
  // rewrites only the identities whose profile actually changed
  private static final String UPDATE_IDENTITY_PROFILES = """
      UPDATE contact_identities ci SET profile_name = COALESCE(k.profile_name, ci.profile_name),
             user_id = COALESCE(k.user_id, ci.user_id), username = COALESCE(k.username, ci.username),
             updated_at = now()
      FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS k(id, profile_name, user_id, username)
      WHERE ci.id = k.id
        AND (ci.profile_name IS DISTINCT FROM COALESCE(k.profile_name, ci.profile_name)
             OR ci.user_id IS DISTINCT FROM COALESCE(k.user_id, ci.user_id)
             OR ci.username IS DISTINCT FROM COALESCE(k.username, ci.username))
      """;
  private static final String NAMES_IF_MISSING = """
      UPDATE contacts c SET name = k.name, updated_at = now()
      FROM unnest($1::uuid[], $2::text[]) AS k(id, name)
      WHERE c.id = k.id AND c.name IS NULL
      RETURNING c.id
      """;
  private static final String CLAIM_IDENTITIES = """
      INSERT INTO contact_identities (id, organization_id, contact_id, channel_id, external_id, user_id, profile_name, username)
      SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[])
      ON CONFLICT (channel_id, external_id) DO NOTHING
      RETURNING id
      """;
  private static final String INSERT_CONTACTS = """
      INSERT INTO contacts (id, organization_id, name, mobile_number, address)
      SELECT id, organization_id, name, mobile_number, jsonb_strip_nulls(jsonb_build_object('country', country))
      FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[])
        AS k(id, organization_id, name, mobile_number, country)
      ON CONFLICT (organization_id, mobile_number) WHERE mobile_number IS NOT NULL
      DO UPDATE SET name = COALESCE(contacts.name, EXCLUDED.name)
      RETURNING id, organization_id, name, mobile_number, address ->> 'country' AS country, (xmax = 0) AS inserted
      """;
  private static final String REPOINT_IDENTITIES = """
      UPDATE contact_identities ci SET contact_id = k.contact_id
      FROM unnest($1::uuid[], $2::uuid[]) AS k(id, contact_id) WHERE ci.id = k.id
      """;
  private static final String SUMMARY =
      "SELECT id, name, mobile_number, address ->> 'country' AS country FROM contacts WHERE id = $1";
  private static final String CLAIM_OWNER = """
      UPDATE contacts SET owner_id = $2, updated_at = now() WHERE id = $1 AND owner_id IS NULL
      """;
  private static final String REPOINT_IDENTITY = "UPDATE contact_identities SET contact_id = $2 WHERE id = $1";
  private static final String UPDATE_IDENTITY_PROFILE = """
      UPDATE contact_identities SET profile_name = COALESCE($2, profile_name), user_id = COALESCE($3, user_id),
             username = COALESCE($4, username), updated_at = now()
      WHERE id = $1
      """;
  private static final String NAME_IF_MISSING = """
      UPDATE contacts SET name = $2, updated_at = now() WHERE id = $1 AND name IS NULL RETURNING id
      """;
  private static final String CHANGE_NUMBER = """
      UPDATE contacts SET
             -- keep the old number when another contact of the organization already has the new one (merge later)
             mobile_number = CASE WHEN EXISTS (SELECT 1 FROM contacts other WHERE other.organization_id = contacts.organization_id
                                                 AND other.mobile_number = $2 AND other.id <> $1)
                                  THEN mobile_number ELSE $2 END,
             address = CASE WHEN $3::text IS NULL THEN address ELSE address || jsonb_build_object('country', $3::text) END,
             updated_at = now()
      WHERE id = $1
      RETURNING id, name, mobile_number, address ->> 'country' AS country
      """;
  private static final String REKEY_IDENTITY = """
      UPDATE contact_identities ci SET external_id = $2, updated_at = now()
      WHERE ci.id = $1 AND NOT EXISTS (SELECT 1 FROM contact_identities other
                                       WHERE other.channel_id = ci.channel_id AND other.external_id = $2)
      """;
  private static final String SET_IDENTITY_USER_ID = """
      UPDATE contact_identities SET user_id = $2, external_id = CASE WHEN external_id = user_id THEN $2 ELSE external_id END,
             updated_at = now()
      WHERE id = $1
      """;

  /**
   * A contact as the inbound pipeline sees it.
   *
   * @param created true when this call created the contact
   * @param nameChanged true when this call filled in the contact's name from the provider profile
   */
  public record ContactRef(
      UUID id, UUID identityId, String name, String mobileNumber, String country, boolean created, boolean nameChanged) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("name", name)
          .put("mobile_number", mobileNumber)
          .put("country", country);
    }
  }

  /** How a contact is addressed on one channel (the detail view lists them). */
  public record IdentityRow(UUID id, UUID channelId, String externalId, String userId, String profileName,
      String username, OffsetDateTime createdAt) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("id", id.toString())
          .put("channel_id", channelId.toString())
          .put("external_id", externalId)
          .put("user_id", userId)
          .put("profile_name", profileName)
          .put("username", username)
          .put("created_at", Timestamps.iso(createdAt));
    }
  }

  /** The filters of the contact list; null fields do not filter. {@code q} is matched as a substring. */
  public record ListFilter(String q, String label, UUID ownerId, String preference, Boolean active) {}

  /** One of the contact's open conversations. */
  public record OpenConversation(UUID id, UUID channelId) {}

  /** Another contact of the organization already has this mobile number. */
  public static final class NumberTaken extends RuntimeException {
    NumberTaken() {
      super("mobile number taken", null, false, false);
    }
  }

  public Future<Optional<ContactRow>> find(SqlClient client, UUID organizationId, UUID id) {
    return client.preparedQuery(FIND).execute(Tuple.of(id, organizationId)).map(ContactStore::firstRow);
  }

  /** The contact, locked until the transaction ends; empty when it is not in the organization. */
  public Future<Optional<ContactRow>> lock(SqlClient tx, UUID organizationId, UUID id) {
    return tx.preparedQuery(LOCK).execute(Tuple.of(id, organizationId)).map(ContactStore::firstRow);
  }

  /** Those of {@code ids} that are in the organization, locked in id order. */
  public Future<List<ContactRow>> lockAll(SqlClient tx, UUID organizationId, List<UUID> ids) {
    return tx.preparedQuery(LOCK_PAIR).execute(Tuple.of(ids.toArray(UUID[]::new), organizationId))
        .map(ContactStore::rows);
  }

  /** Up to {@code limit} contacts, newest first, after {@code (afterCreated, afterId)}. */
  public Future<List<ContactRow>> list(SqlClient client, UUID organizationId, ListFilter filter,
      OffsetDateTime afterCreated, UUID afterId, int limit) {
    String text = filter.q() == null ? null : Database.containing(filter.q());
    String digits = filter.q() == null ? null : filter.q().replaceAll("[\\s().+\\-]", "");
    String number = digits != null && digits.matches("[0-9]+") ? "%" + digits + "%" : null;
    return client.preparedQuery(LIST)
        .execute(Tuple.from(new Object[] {organizationId, text, number, filter.label(), filter.ownerId(),
            filter.preference(), filter.active(), afterCreated, afterId, limit}))
        .map(ContactStore::rows);
  }

  /** Fails with {@link NumberTaken} when another contact of the organization has the number. */
  public Future<ContactRow> insert(SqlClient tx, ContactRow contact) {
    return tx.preparedQuery(INSERT).execute(contact.tuple())
        .map(rows -> ContactRow.from(rows.iterator().next()))
        .recover(ContactStore::numberTaken);
  }

  /** Writes every field of {@code contact} (locked by the caller); fails with {@link NumberTaken}. */
  public Future<ContactRow> save(SqlClient tx, ContactRow contact) {
    return tx.preparedQuery(SAVE).execute(contact.tuple())
        .map(rows -> ContactRow.from(rows.iterator().next()))
        .recover(ContactStore::numberTaken);
  }

  public Future<List<IdentityRow>> identities(SqlClient client, UUID contactId) {
    return client.preparedQuery(IDENTITIES).execute(Tuple.of(contactId)).map(rows -> {
      List<IdentityRow> identities = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> identities.add(new IdentityRow(row.getUUID("id"), row.getUUID("channel_id"),
          row.getString("external_id"), row.getString("user_id"), row.getString("profile_name"),
          row.getString("username"), row.getOffsetDateTime("created_at"))));
      return identities;
    });
  }

  public Future<List<OpenConversation>> lockOpenConversations(SqlClient tx, UUID contactId) {
    return tx.preparedQuery(OPEN_CONVERSATIONS).execute(Tuple.of(contactId)).map(rows -> {
      List<OpenConversation> open = new ArrayList<>(rows.rowCount());
      rows.forEach(row -> open.add(new OpenConversation(row.getUUID("id"), row.getUUID("channel_id"))));
      return open;
    });
  }

  public Future<Boolean> hasConversations(SqlClient client, UUID contactId) {
    return client.preparedQuery(HAS_CONVERSATIONS).execute(Tuple.of(contactId))
        .map(rows -> rows.iterator().next().getBoolean("found"));
  }

  /** Deletes the contact with its identities, notes and the merge records kept on it. */
  public Future<Void> delete(SqlClient tx, UUID organizationId, UUID id) {
    return tx.preparedQuery(DELETE).execute(Tuple.of(id, organizationId)).mapEmpty();
  }

  private static <T> Future<T> numberTaken(Throwable failure) {
    return Future.failedFuture(failure instanceof PgException pg && "23505".equals(pg.getSqlState())
        && "contacts_org_mobile_key".equals(pg.getConstraint()) ? new NumberTaken() : failure);
  }

  private static Optional<ContactRow> firstRow(RowSet<Row> rows) {
    return rows.rowCount() == 0 ? Optional.empty() : Optional.of(ContactRow.from(rows.iterator().next()));
  }

  private static List<ContactRow> rows(RowSet<Row> rows) {
    List<ContactRow> contacts = new ArrayList<>(rows.rowCount());
    rows.forEach(row -> contacts.add(ContactRow.from(row)));
    return contacts;
  }

  /** The sender's identity on a channel, as the provider describes it. */
  public record Identity(String externalId, String userId, String profileName, String username) {}

  /** Finds the contact behind an identity, creating both when this is the first message from it. */
  public Future<ContactRef> findOrCreate(
      SqlClient tx, UUID organizationId, UUID channelId, Identity identity, String e164, String country) {
    return find(tx, channelId, identity.externalId(), identity.userId()).compose(found -> {
      if (found.isPresent()) {
        return refreshProfile(tx, found.get(), identity);
      }
      UUID identityId = UUID.randomUUID();
      UUID contactId = UUID.randomUUID();
      return tx.preparedQuery(CLAIM_IDENTITY)
          .execute(Tuple.from(new Object[] {identityId, organizationId, contactId, channelId, identity.externalId(),
              identity.userId(), identity.profileName(), identity.username()}))
          .compose(claimed -> {
            if (claimed.rowCount() == 0) { // another transaction registered this identity first
              return find(tx, channelId, identity.externalId(), identity.userId()).map(Optional::orElseThrow);
            }
            return tx.preparedQuery(INSERT_CONTACT)
                .execute(Tuple.of(contactId, organizationId, identity.profileName(), e164, country))
                .compose(rows -> {
                  Row row = rows.iterator().next();
                  UUID actual = row.getUUID("id");
                  var ref = new ContactRef(actual, identityId, row.getString("name"), row.getString("mobile_number"),
                      row.getString("country"), row.getBoolean("inserted"), false);
                  return actual.equals(contactId)
                      ? Future.succeededFuture(ref)
                      : tx.preparedQuery(REPOINT_IDENTITY).execute(Tuple.of(identityId, actual)).map(ref);
                });
          });
    });
  }

  /** One sender of a group of inbound messages, for {@link #findAll}. */
  public record Sighting(UUID organizationId, UUID channelId, Identity identity, String e164, String country) {}

  /**
   * A sender {@link #findAll} found: its contact, the profile its identity holds, and the (channel, contact) pair's
   * open (else latest) conversation, locked until commit, or null when the pair has none.
   */
  public record Known(ContactRef contact, Identity stored, ConversationStore.Latest conversation) {}

  /**
   * The first half of {@link #findOrCreate} for the distinct senders of a group of inbound messages, in one statement
   * that also locks each found sender's latest conversation on the channel. Aligned with {@code sightings}; null
   * where the identity is not known yet.
   */
  public Future<List<Known>> findAll(SqlClient tx, List<Sighting> sightings) {
    int n = sightings.size();
    UUID[] channels = new UUID[n];
    String[] externalIds = new String[n], userIds = new String[n];
    for (int i = 0; i < n; i++) {
      channels[i] = sightings.get(i).channelId();
      externalIds[i] = sightings.get(i).identity().externalId();
      userIds[i] = sightings.get(i).identity().userId();
    }
    return tx.preparedQuery(FIND_IDENTITIES).execute(Database.arrays(channels, externalIds, userIds)).map(rows -> {
      List<Known> found = new ArrayList<>(Collections.nCopies(n, (Known) null));
      for (Row row : rows) {
        var contact = new ContactRef(row.getUUID("id"), row.getUUID("identity_id"), row.getString("name"),
            row.getString("mobile_number"), row.getString("country"), false, false);
        int i = row.getLong("i").intValue() - 1;
        var stored = new Identity(sightings.get(i).identity().externalId(), row.getString("user_id"),
            row.getString("profile_name"), row.getString("username"));
        UUID conversation = row.getUUID("conversation_id");
        found.set(i, new Known(contact, stored, conversation == null ? null
            : new ConversationStore.Latest(conversation, "open".equals(row.getString("conversation_status")))));
      }
      return found;
    });
  }

  /**
   * The second half of {@link #findOrCreate} for a group's senders, after {@link #findAll}: the found ones' changed
   * profiles written (nothing when unchanged, the usual case), the others created, in at most five statements. The
   * answer is aligned with {@code sightings}; an element is null where the set-based path leaves the decision to
   * {@link #findOrCreate}: another transaction is registering the same identity, or two new senders of the group
   * share one number.
   */
  public Future<List<ContactRef>> refreshOrCreateAll(SqlClient tx, List<Sighting> sightings, List<Known> known) {
    List<ContactRef> found = new ArrayList<>(sightings.size());
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < sightings.size(); i++) {
      found.add(known.get(i) == null ? null : known.get(i).contact());
      if (known.get(i) == null) {
        missing.add(i);
      }
    }
    return Future.all(refreshProfiles(tx, sightings, known, found), createAll(tx, sightings, missing))
        .map(v -> {
          List<ContactRef> refreshed = v.resultAt(0);
          Map<Integer, ContactRef> created = v.resultAt(1);
          List<ContactRef> answer = new ArrayList<>(refreshed);
          created.forEach(answer::set);
          return answer;
        });
  }

  /** True when writing {@code seen} over {@code stored} changes it (a field seen replaces the stored one). */
  private static boolean changes(Identity seen, Identity stored) {
    return differs(seen.profileName(), stored.profileName()) || differs(seen.userId(), stored.userId())
        || differs(seen.username(), stored.username());
  }

  private static boolean differs(String seen, String stored) {
    return seen != null && !seen.equals(stored);
  }

  /** {@link #refreshProfile} for the found ones: their identities' profiles, and a missing contact name. */
  private Future<List<ContactRef>> refreshProfiles(
      SqlClient tx, List<Sighting> sightings, List<Known> known, List<ContactRef> found) {
    Map<UUID, Identity> profiles = new LinkedHashMap<>();
    Map<UUID, String> names = new LinkedHashMap<>();
    for (int i = 0; i < found.size(); i++) {
      ContactRef contact = found.get(i);
      Identity identity = sightings.get(i).identity();
      if (contact == null) {
        continue;
      }
      if (changes(identity, known.get(i).stored())) {
        profiles.put(contact.identityId(), identity);
      }
      if (contact.name() == null && identity.profileName() != null) {
        names.putIfAbsent(contact.id(), identity.profileName());
      }
    }
    Future<?> identities = profiles.isEmpty()
        ? Future.succeededFuture()
        : tx.preparedQuery(UPDATE_IDENTITY_PROFILES).execute(Database.arrays(
            profiles.keySet().toArray(UUID[]::new),
            profiles.values().stream().map(Identity::profileName).toArray(String[]::new),
            profiles.values().stream().map(Identity::userId).toArray(String[]::new),
            profiles.values().stream().map(Identity::username).toArray(String[]::new)));
    Future<Set<UUID>> named = names.isEmpty()
        ? Future.succeededFuture(Set.of())
        : tx.preparedQuery(NAMES_IF_MISSING)
            .execute(Database.arrays(names.keySet().toArray(UUID[]::new), names.values().toArray(String[]::new)))
            .map(rows -> {
              Set<UUID> ids = new HashSet<>();
              rows.forEach(row -> ids.add(row.getUUID("id")));
              return ids;
            });
    return Future.all(identities, named).map(v -> {
      Set<UUID> renamed = named.result();
      List<ContactRef> answer = new ArrayList<>(found);
      for (int i = 0; i < answer.size(); i++) {
        ContactRef c = answer.get(i);
        if (c != null && renamed.contains(c.id())) {
          answer.set(i, new ContactRef(c.id(), c.identityId(), names.get(c.id()), c.mobileNumber(), c.country(),
              false, true));
        }
      }
      return answer;
    });
  }

  /**
   * The creating half of {@link #findOrCreate} for the senders at {@code positions}: their identities claimed,
   * then their contacts inserted (or the organization's contact with the same number taken). The answer holds only
   * the positions it decided.
   */
  private Future<Map<Integer, ContactRef>> createAll(SqlClient tx, List<Sighting> sightings, List<Integer> positions) {
    List<Integer> batch = new ArrayList<>();
    Set<String> numbers = new HashSet<>();
    Set<String> keys = new HashSet<>();
    for (int i : positions) {
      Sighting s = sightings.get(i);
      boolean firstNumber = s.e164() == null || numbers.add(s.organizationId() + "/" + s.e164());
      if (firstNumber && keys.add(s.channelId() + "/" + s.identity().externalId())) {
        batch.add(i);
      }
    }
    if (batch.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    int n = batch.size();
    UUID[] identityIds = new UUID[n], organizations = new UUID[n], contactIds = new UUID[n], channels = new UUID[n];
    String[] externalIds = new String[n], userIds = new String[n], profileNames = new String[n],
        usernames = new String[n];
    for (int j = 0; j < n; j++) {
      Sighting s = sightings.get(batch.get(j));
      identityIds[j] = UUID.randomUUID();
      organizations[j] = s.organizationId();
      contactIds[j] = UUID.randomUUID();
      channels[j] = s.channelId();
      externalIds[j] = s.identity().externalId();
      userIds[j] = s.identity().userId();
      profileNames[j] = s.identity().profileName();
      usernames[j] = s.identity().username();
    }
    return tx.preparedQuery(CLAIM_IDENTITIES)
        .execute(Tuple.from(new Object[] {identityIds, organizations, contactIds, channels, externalIds, userIds,
            profileNames, usernames}))
        .compose(claimedRows -> {
          Set<UUID> claimed = new HashSet<>();
          claimedRows.forEach(row -> claimed.add(row.getUUID("id")));
          List<Integer> won = new ArrayList<>(); // indexes into batch
          for (int j = 0; j < n; j++) {
            if (claimed.contains(identityIds[j])) {
              won.add(j);
            }
          }
          if (won.isEmpty()) {
            return Future.succeededFuture(Map.<Integer, ContactRef>of());
          }
          return tx.preparedQuery(INSERT_CONTACTS).execute(Database.arrays(
                  won.stream().map(j -> contactIds[j]).toArray(UUID[]::new),
                  won.stream().map(j -> organizations[j]).toArray(UUID[]::new),
                  won.stream().map(j -> profileNames[j]).toArray(String[]::new),
                  won.stream().map(j -> sightings.get(batch.get(j)).e164()).toArray(String[]::new),
                  won.stream().map(j -> sightings.get(batch.get(j)).country()).toArray(String[]::new)))
              .compose(contactRows -> {
                // a row is ours by its id when inserted, by the organization's number when it already existed
                Map<String, Row> byKey = new HashMap<>();
                for (Row row : contactRows) {
                  byKey.put(row.getUUID("id").toString(), row);
                  if (row.getString("mobile_number") != null) {
                    byKey.put(row.getUUID("organization_id") + "/" + row.getString("mobile_number"), row);
                  }
                }
                Map<Integer, ContactRef> created = new HashMap<>();
                List<UUID> repointIdentities = new ArrayList<>();
                List<UUID> repointContacts = new ArrayList<>();
                for (int j : won) {
                  Sighting s = sightings.get(batch.get(j));
                  Row row = byKey.get(contactIds[j].toString());
                  if (row == null) {
                    row = byKey.get(s.organizationId() + "/" + s.e164());
                  }
                  UUID actual = row.getUUID("id");
                  created.put(batch.get(j), new ContactRef(actual, identityIds[j], row.getString("name"),
                      row.getString("mobile_number"), row.getString("country"), row.getBoolean("inserted"), false));
                  if (!actual.equals(contactIds[j])) {
                    repointIdentities.add(identityIds[j]);
                    repointContacts.add(actual);
                  }
                }
                return repointIdentities.isEmpty()
                    ? Future.succeededFuture(created)
                    : tx.preparedQuery(REPOINT_IDENTITIES)
                        .execute(Database.arrays(repointIdentities.toArray(UUID[]::new), repointContacts.toArray(UUID[]::new)))
                        .map(created);
              });
        });
  }

  /**
   * The organization's contact with this E.164 number, created (with {@code country}) when there is none; an
   * existing one is locked until the transaction ends. Race-free through the (organization, number) unique index.
   */
  public Future<ContactRef> findOrCreateByNumber(SqlClient tx, UUID organizationId, String e164, String country) {
    return tx.preparedQuery(INSERT_CONTACT)
        .execute(Tuple.of(UUID.randomUUID(), organizationId, null, e164, country))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new ContactRef(row.getUUID("id"), null, row.getString("name"), row.getString("mobile_number"),
              row.getString("country"), row.getBoolean("inserted"), false);
        });
  }

  /** The short form of a contact embedded in conversation rows and events (see {@link ContactRef#toJson}). */
  public Future<JsonObject> summary(SqlClient client, UUID contactId) {
    return client.preparedQuery(SUMMARY).execute(Tuple.of(contactId)).map(rows -> {
      Row row = rows.iterator().next();
      return new ContactRef(row.getUUID("id"), null, row.getString("name"), row.getString("mobile_number"),
          row.getString("country"), false, false).toJson();
    });
  }

  public Future<Optional<ContactRef>> find(SqlClient tx, UUID channelId, String externalId, String userId) {
    return tx.preparedQuery(FIND_IDENTITY).execute(Tuple.of(channelId, externalId, userId)).map(rows -> {
      if (rows.rowCount() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new ContactRef(row.getUUID("id"), row.getUUID("identity_id"), row.getString("name"),
          row.getString("mobile_number"), row.getString("country"), false, false));
    });
  }

  private Future<ContactRef> refreshProfile(SqlClient tx, ContactRef contact, Identity identity) {
    Future<Void> identityUpdate = identity.profileName() == null && identity.userId() == null && identity.username() == null
        ? Future.succeededFuture()
        : tx.preparedQuery(UPDATE_IDENTITY_PROFILE)
            .execute(Tuple.of(contact.identityId(), identity.profileName(), identity.userId(), identity.username()))
            .mapEmpty();
    if (contact.name() != null || identity.profileName() == null) {
      return identityUpdate.map(contact);
    }
    return identityUpdate
        .compose(v -> tx.preparedQuery(NAME_IF_MISSING).execute(Tuple.of(contact.id(), identity.profileName())))
        .map(rows -> rows.rowCount() == 0 ? contact : new ContactRef(contact.id(), contact.identityId(),
            identity.profileName(), contact.mobileNumber(), contact.country(), false, true));
  }

  /** The customer moved to a new number: the identity is re-keyed and the contact's number follows. */
  public Future<ContactRef> changeNumber(
      SqlClient tx, ContactRef contact, String newExternalId, String e164, String country) {
    return tx.preparedQuery(REKEY_IDENTITY).execute(Tuple.of(contact.identityId(), newExternalId))
        .compose(v -> tx.preparedQuery(CHANGE_NUMBER).execute(Tuple.of(contact.id(), e164, country)))
        .map(rows -> {
          Row row = rows.iterator().next();
          return new ContactRef(contact.id(), contact.identityId(), row.getString("name"),
              row.getString("mobile_number"), row.getString("country"), false, false);
        });
  }

  public Future<Void> changeUserId(SqlClient tx, ContactRef contact, String newUserId) {
    return tx.preparedQuery(SET_IDENTITY_USER_ID).execute(Tuple.of(contact.identityId(), newUserId)).mapEmpty();
  }

  /** Makes {@code userId} the owner of a contact nobody owns yet; false when it already had an owner. */
  public Future<Boolean> claimOwner(SqlClient tx, UUID contactId, UUID userId) {
    return tx.preparedQuery(CLAIM_OWNER).execute(Tuple.of(contactId, userId)).map(rows -> rows.rowCount() > 0);
  }
}

package dev.parley.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.Optional;
import java.util.UUID;

/**
 * Contacts and their channel identities. Concurrent first messages from one new number converge on one
 * contact without application locks: the identity's unique (channel, external id) and the contact's unique
 * (organization, mobile number) decide the winner; the losers read what the winner wrote.
 */
public final class ContactStore {
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
  private static final String SUMMARY =
      "SELECT id, name, mobile_number, address ->> 'country' AS country FROM contacts WHERE id = $1";
  private static final String CLAIM_OWNER = """
      UPDATE contacts SET owner_id = $2, updated_at = now() WHERE id = $1 AND owner_id IS NULL
      RETURNING id, name, mobile_number, address ->> 'country' AS country
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

  /** Makes {@code userId} the owner of a contact nobody owns yet; the contact's summary when it changed. */
  public Future<Optional<JsonObject>> claimOwner(SqlClient tx, UUID contactId, UUID userId) {
    return tx.preparedQuery(CLAIM_OWNER).execute(Tuple.of(contactId, userId)).map(rows -> {
      if (rows.rowCount() == 0) {
        return Optional.empty();
      }
      Row row = rows.iterator().next();
      return Optional.of(new ContactRef(row.getUUID("id"), null, row.getString("name"), row.getString("mobile_number"),
          row.getString("country"), false, false).toJson().put("owner_id", userId.toString()));
    });
  }
}

package dev.parley.contact;

import dev.parley.auth.Principal;
import dev.parley.bus.OrgEvent;
import dev.parley.conversation.Changes;
import dev.parley.conversation.Committer;
import dev.parley.conversation.Timeline;
import dev.parley.http.ApiException;
import dev.parley.store.ContactMergeStore;
import dev.parley.store.ContactMergeStore.MergeRow;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactRow;
import dev.parley.store.ContactStore.IdentityRow;
import dev.parley.store.ContactStore.OpenConversation;
import dev.parley.store.ConversationStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Folds one contact (the merged-away one) into another (the kept one) in one transaction. Both are locked in id
 * order. Everything of the merged contact moves to the kept one: identities (so later inbound messages land on
 * the kept contact), conversations, notes, labels (union) and earlier merge records; the kept contact's empty
 * fields are filled from the merged one (address and social profiles key by key; custom attributes: the kept
 * contact's value wins). If both have an open conversation on one channel, the merged one's is closed with a
 * system message (its history stays, under the kept contact) and the kept one's continues. Then the merged
 * contact is deleted, an audit row is written, the kept contact's open conversations get a system message and
 * {@code contact.merged} and {@code contact.updated} are emitted after commit.
 */
final class ContactMerge {
  private final Committer committer;
  private final ContactStore contacts = new ContactStore();
  private final ContactMergeStore merges = new ContactMergeStore();
  private final ConversationStore conversations = new ConversationStore();
  private final Timeline timeline = new Timeline();

  ContactMerge(Committer committer) {
    this.committer = committer;
  }

  /** Answers {@code {"contact": kept (with identities), "merge": audit record}}; 404 unless both are the caller's. */
  Future<JsonObject> merge(Principal caller, UUID keptId, UUID mergedId) {
    return committer.transaction((tx, changes) -> contacts.lockAll(tx, caller.organizationId(), List.of(keptId, mergedId))
        .compose(locked -> {
          if (locked.size() < 2) {
            throw ApiException.notFound("contact");
          }
          var fold = new Fold(tx, changes, caller, find(locked, keptId), find(locked, mergedId));
          return fold.run();
        }));
  }

  private static ContactRow find(List<ContactRow> rows, UUID id) {
    return rows.stream().filter(row -> row.id().equals(id)).findFirst().orElseThrow();
  }

  /** The kept contact after the merge: its own values, its empty fields filled from the merged contact. */
  static ContactRow combined(ContactRow kept, ContactRow merged) {
    JsonObject address = merged.address().copy().mergeIn(kept.address());
    String mobile = kept.mobileNumber() != null ? kept.mobileNumber() : merged.mobileNumber();
    if (address.getString("country") == null && mobile != null) {
      PhoneNumbers.fromInternational(mobile).map(PhoneNumbers.Normalized::country)
          .ifPresent(country -> address.put("country", country));
    }
    Set<String> labels = new LinkedHashSet<>(kept.labels());
    labels.addAll(merged.labels());
    return new ContactRow(kept.id(), kept.organizationId(), either(kept.name(), merged.name()), mobile,
        either(kept.email(), merged.email()), either(kept.dateOfBirth(), merged.dateOfBirth()),
        either(kept.companyName(), merged.companyName()), address,
        merged.socialProfiles().copy().mergeIn(kept.socialProfiles()),
        merged.customAttributes().copy().mergeIn(kept.customAttributes()),
        either(kept.ownerId(), merged.ownerId()), kept.preference(), kept.active(), List.copyOf(labels),
        kept.createdAt(), kept.updatedAt());
  }

  private static <T> T either(T kept, T merged) {
    return kept != null ? kept : merged;
  }

  /** How a contact is named in system messages: its name, else its number, e-mail or id. */
  static String label(ContactRow contact) {
    return contact.name() != null ? contact.name()
        : contact.mobileNumber() != null ? contact.mobileNumber()
        : contact.email() != null ? contact.email() : contact.id().toString();
  }

  /** One merge in progress, inside its transaction. */
  private final class Fold {
    private final SqlConnection tx;
    private final Changes changes;
    private final Principal caller;
    private final ContactRow kept;
    private final ContactRow merged;
    private final JsonObject moved = new JsonObject();
    private List<UUID> closed = List.of();
    private List<UUID> movedConversations = List.of();

    Fold(SqlConnection tx, Changes changes, Principal caller, ContactRow kept, ContactRow merged) {
      this.tx = tx;
      this.changes = changes;
      this.caller = caller;
      this.kept = kept;
      this.merged = merged;
    }

    Future<JsonObject> run() {
      UUID org = caller.organizationId();
      return contacts.identities(tx, merged.id()).compose(identities -> {
        JsonObject snapshot = merged.toJson()
            .put("identities", new JsonArray(identities.stream().map(IdentityRow::toJson).toList()));
        return merges.closeConflicting(tx, kept.id(), merged.id())
            .compose(ids -> {
              closed = ids;
              return merges.moveConversations(tx, kept.id(), merged.id());
            })
            .compose(ids -> {
              movedConversations = ids;
              return merges.moveIdentities(tx, kept.id(), merged.id());
            })
            .compose(count -> {
              moved.put("identities", count);
              return merges.moveNotes(tx, kept.id(), merged.id());
            })
            .compose(count -> {
              moved.put("notes", count);
              return merges.moveMergeRecords(tx, kept.id(), merged.id());
            })
            // deleted before the kept contact is saved, so the kept one may take over its mobile number
            .compose(count -> contacts.delete(tx, org, merged.id()))
            .compose(v -> contacts.save(tx, combined(kept, merged)))
            .compose(saved -> {
              moved.put("conversations", movedConversations.size())
                  .put("conversations_closed", closed.size())
                  .put("labels", (int) merged.labels().stream().filter(l -> !kept.labels().contains(l)).count());
              JsonObject json = saved.toJson();
              changes.event(OrgEvent.CONTACT_MERGED, org, new JsonObject().put("contact", json)
                  .put("merged_contact_id", merged.id().toString()));
              changes.event(OrgEvent.CONTACT_UPDATED, org, json.copy());
              return merges.record(tx, org, kept.id(), merged.id(), snapshot, moved, caller.id(),
                      caller.isUser() ? "user" : "service")
                  .compose(record -> conversationsChanged(saved).compose(v -> answer(saved, record)));
            });
      });
    }

    /** System messages on the kept contact's open conversations and the closed ones; events for the rest. */
    private Future<Void> conversationsChanged(ContactRow saved) {
      String by = " by " + caller.name();
      return contacts.lockOpenConversations(tx, kept.id()).compose(open -> {
        List<Function<Void, Future<Void>>> steps = new ArrayList<>();
        Set<UUID> messaged = new LinkedHashSet<>();
        for (OpenConversation conversation : open) {
          messaged.add(conversation.id());
          steps.add(v -> system(saved, conversation.channelId(), conversation.id(),
              "Contact " + label(merged) + " merged into this contact" + by));
        }
        for (UUID id : movedConversations) {
          if (messaged.contains(id)) {
            continue;
          }
          steps.add(v -> conversations.find(tx, id).compose(found -> closed.contains(id)
              ? system(saved, found.orElseThrow().channelId(), id, "Conversation closed: contact " + label(merged)
                  + " was merged into " + label(saved) + by + "; their open conversation on this channel continues")
              : timeline.updated(tx, found.orElseThrow(), changes)));
        }
        Future<Void> chain = Future.succeededFuture();
        for (Function<Void, Future<Void>> step : steps) {
          chain = chain.compose(step);
        }
        return chain;
      });
    }

    private Future<Void> system(ContactRow saved, UUID channelId, UUID conversationId, String body) {
      return timeline.systemMessage(tx, caller.organizationId(), channelId, conversationId, saved.summary(),
          Instant.now(), body, new JsonObject().put("event", "contact.merged")
              .put("merged_contact_id", merged.id().toString()), null, changes).mapEmpty();
    }

    private Future<JsonObject> answer(ContactRow saved, MergeRow record) {
      return contacts.identities(tx, saved.id()).map(identities -> new JsonObject()
          .put("contact", saved.toJson().put("identities", new JsonArray(identities.stream().map(IdentityRow::toJson).toList())))
          .put("merge", record.toJson()));
    }
  }
}

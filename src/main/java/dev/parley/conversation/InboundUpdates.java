package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.contact.PhoneNumbers;
import dev.parley.provider.InboundEvent;
import dev.parley.store.ChannelStore;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactStore.ContactRef;
import dev.parley.store.ConversationStore;
import dev.parley.store.MessageStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rarer inbound events of {@link InboundApplier}, one by one: reactions, edits, identity changes and provider
 * errors.
 */
final class InboundUpdates {
  private static final Logger log = LoggerFactory.getLogger(InboundUpdates.class);

  private final InboundMessagesOneByOne oneByOne;
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();
  private final MessageStore messages = new MessageStore();

  InboundUpdates(InboundMessagesOneByOne oneByOne) {
    this.oneByOne = oneByOne;
  }

  Future<Void> reaction(SqlClient tx, Channel channel, InboundEvent.Reaction reaction, Changes changes) {
    return messages.react(tx, channel.id(), reaction.targetProviderId(), "customer", reaction.emoji(),
            reaction.timestamp(), reaction.providerMessageId(), null)
        .compose(changed -> {
          if (!changed) {
            changes.duplicates++;
            return Future.succeededFuture();
          }
          changes.applied++;
          return messageUpdated(tx, channel, reaction.targetProviderId(), changes);
        });
  }

  Future<Void> edit(SqlClient tx, Channel channel, InboundEvent.Edit edit, Changes changes) {
    JsonObject content = edit.content().copy().put("edit_id", edit.providerMessageId());
    return messages.applyEdit(tx, channel.id(), edit.originalProviderId(), edit.type(), edit.body(), content,
            edit.timestamp())
        .compose(updated -> {
          if (updated.isPresent()) {
            changes.applied++;
            return messageUpdated(tx, channel, edit.originalProviderId(), changes);
          }
          return messages.exists(tx, channel.id(), edit.originalProviderId()).compose(exists -> {
            if (exists) { // a newer edit is already applied
              changes.duplicates++;
              return Future.succeededFuture();
            }
            // the original never reached us: keep the edited version under the original's id
            var asMessage = new InboundEvent.Message(edit.routingKey(), edit.originalProviderId(), edit.timestamp(),
                edit.sender(), edit.type(), edit.body(), content, null, edit.raw());
            return oneByOne.message(tx, channel, asMessage, edit.timestamp(), changes);
          });
        });
  }

  Future<Void> identityChange(
      SqlClient tx, Channel channel, InboundEvent.IdentityChange change, Changes changes) {
    // the system message's provider id is the de-duplication key: check it before the (already re-keyed) identity
    return messages.exists(tx, channel.id(), change.providerMessageId()).compose(exists -> {
      if (exists) {
        changes.duplicates++;
        return Future.succeededFuture();
      }
      String previous = change.previousExternalId();
      Future<Optional<ContactRef>> found = previous == null
          ? Future.succeededFuture(Optional.empty())
          : contacts.find(tx, channel.id(), previous, previous);
      return found.compose(contact -> {
        if (contact.isEmpty()) {
          log.warn("identity change {} on channel {} names no known contact; skipped",
              change.providerMessageId(), channel.id());
          changes.skipped++;
          return Future.succeededFuture();
        }
        return conversations.openFor(tx, channel.organizationId(), channel.id(), contact.get().id(), change.timestamp())
            .compose(opened -> updateIdentity(tx, channel, contact.get(), change, changes).compose(updated ->
                oneByOne.systemMessage(tx, channel, opened.id(), updated, change.timestamp(),
                    describe(change, contact.get(), updated),
                    new JsonObject().put("event", "contact." + change.change()), change.providerMessageId(), changes)))
            .map(v -> {
              changes.applied++;
              return null;
            });
      });
    });
  }

  private Future<ContactRef> updateIdentity(
      SqlClient tx, Channel channel, ContactRef contact, InboundEvent.IdentityChange change, Changes changes) {
    Future<ContactRef> updated = switch (change.change()) {
      case "number_changed" -> {
        var number = PhoneNumbers.fromInternational(change.newPhone());
        yield contacts.changeNumber(tx, contact, change.newPhone(),
            number.map(PhoneNumbers.Normalized::e164).orElse(null), number.map(PhoneNumbers.Normalized::country).orElse(null));
      }
      case "user_id_changed" -> contacts.changeUserId(tx, contact, change.newUserId()).map(contact);
      default -> Future.succeededFuture(contact);
    };
    return updated.onSuccess(ref -> {
      if (!change.change().equals("identity_changed")) {
        changes.event(OrgEvent.CONTACT_UPDATED, channel.organizationId(), ref.toJson());
      }
    });
  }

  private static String describe(InboundEvent.IdentityChange change, ContactRef before, ContactRef after) {
    if (change.change().equals("number_changed") && after.mobileNumber() != null) {
      return "Customer changed their phone number from "
          + (before.mobileNumber() == null ? "an unknown number" : before.mobileNumber()) + " to " + after.mobileNumber();
    }
    return change.body() != null ? change.body() : "Customer's WhatsApp identity changed";
  }

  Future<Void> providerError(SqlClient tx, Channel channel, InboundEvent.ProviderError error, Changes changes) {
    log.warn("provider error on channel {}: {} {} {}", channel.id(), error.code(), error.title(), error.details());
    changes.applied++;
    String text = error.code() + " " + (error.title() == null ? "" : error.title())
        + (error.details() == null ? "" : ": " + error.details());
    return ChannelStore.recordError(tx, channel.id(), text.strip(), Instant.now());
  }

  private Future<Void> messageUpdated(SqlClient tx, Channel channel, String providerMessageId, Changes changes) {
    return messages.findByProviderId(tx, channel.id(), providerMessageId).compose(found -> found.isEmpty()
        ? Future.succeededFuture()
        : messages.reactions(tx, channel.id(), providerMessageId).map(reactions -> {
          changes.event(OrgEvent.MESSAGE_UPDATED, channel.organizationId(), found.get().toJson(reactions));
          return null;
        }));
  }
}

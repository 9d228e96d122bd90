package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.contact.PhoneNumbers;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactStore.ContactRef;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.ConversationStore.Opened;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.NewMessage;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The messages phase of {@link InboundApplier}, set-based; whatever it cannot decide alone goes to
 * {@link InboundMessagesOneByOne}.
 */
final class InboundMessages {
  private final InboundMessagesOneByOne oneByOne;
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();
  private final MessageStore messages = new MessageStore();
  private final Timeline timeline = new Timeline();

  InboundMessages(InboundMessagesOneByOne oneByOne) {
    this.oneByOne = oneByOne;
  }

  /**
   * The messages phase of a group, set-based: whatever the group's size, a handful of statements, each for all its
   * messages ({@code unnest} of arrays): which are already stored, their senders' contacts (found, refreshed or
   * created), their conversations (locked or opened), the messages themselves, then each conversation's counters
   * once. Whatever the set-based path cannot decide alone goes through the one-by-one path, in the sender's order
   * and after it: a sender another transaction is registering, a closed conversation to reopen (with its system
   * message), a conversation another transaction opened meanwhile.
   */
  Future<Void> messages(SqlClient tx, List<Routed> events, Map<Routed, Changes> owner) {
    List<Routed> candidates = new ArrayList<>(events.size());
    Set<String> keys = new HashSet<>();
    for (Routed routed : events) {
      var message = (InboundEvent.Message) routed.event();
      if (keys.add(routed.channel().id() + "/" + message.providerMessageId())) {
        candidates.add(routed);
      } else { // the same message twice in the group (a retry beside its first delivery): the first one counts
        owner.get(routed).duplicates++;
      }
    }
    // which messages are stored already, and who sent them (with their conversations locked), in one round trip
    Map<String, List<Routed>> allBySender = bySender(candidates);
    Map<String, Integer> senderIndex = new HashMap<>();
    allBySender.keySet().forEach(key -> senderIndex.put(key, senderIndex.size()));
    Future<Set<Integer>> existing = messages.existing(tx,
        candidates.stream().map(routed -> routed.channel().id()).toList(),
        candidates.stream().map(routed -> ((InboundEvent.Message) routed.event()).providerMessageId()).toList());
    Future<List<ContactStore.Known>> known = contacts.findAll(tx,
        allBySender.values().stream().map(InboundMessages::sighting).toList());
    return Future.all(existing, known).compose(both -> {
      List<Routed> fresh = new ArrayList<>(candidates.size());
      for (int i = 0; i < candidates.size(); i++) {
        if (existing.result().contains(i)) {
          owner.get(candidates.get(i)).duplicates++;
        } else {
          fresh.add(candidates.get(i));
        }
      }
      if (fresh.isEmpty()) {
        return Future.succeededFuture();
      }
      Map<String, List<Routed>> bySender = bySender(fresh);
      List<List<Routed>> senders = List.copyOf(bySender.values());
      List<ContactStore.Known> knownSenders = bySender.keySet().stream()
          .map(key -> known.result().get(senderIndex.get(key))).toList();
      List<ContactStore.Sighting> sightings = senders.stream().map(InboundMessages::sighting).toList();
      return contacts.refreshOrCreateAll(tx, sightings, knownSenders)
          .compose(found -> intoConversations(tx, senders, found, knownSenders, owner));
    });
  }

  /** Messages grouped by sender (channel and external id), in the order given. */
  private static Map<String, List<Routed>> bySender(List<Routed> messages) {
    Map<String, List<Routed>> bySender = new LinkedHashMap<>();
    for (Routed routed : messages) {
      var message = (InboundEvent.Message) routed.event();
      bySender.computeIfAbsent(routed.channel().id() + "/" + message.sender().externalId(), k -> new ArrayList<>())
          .add(routed);
    }
    return bySender;
  }

  /** One sender's messages as {@link ContactStore#findAll} takes them: the newest profile fields win. */
  private static ContactStore.Sighting sighting(List<Routed> messages) {
    Routed first = messages.get(0);
    String profileName = null;
    String userId = null;
    String username = null;
    for (Routed routed : messages) {
      InboundEvent.Sender sender = ((InboundEvent.Message) routed.event()).sender();
      profileName = sender.profileName() != null ? sender.profileName() : profileName;
      userId = sender.userId() != null ? sender.userId() : userId;
      username = sender.username() != null ? sender.username() : username;
    }
    InboundEvent.Sender sender = ((InboundEvent.Message) first.event()).sender();
    Optional<PhoneNumbers.Normalized> number = PhoneNumbers.fromInternational(sender.phone());
    String country = number.map(PhoneNumbers.Normalized::country).orElse(PhoneNumbers.countryOfUserId(userId));
    return new ContactStore.Sighting(first.channel().organizationId(), first.channel().id(),
        new ContactStore.Identity(sender.externalId(), userId, profileName, username),
        number.map(PhoneNumbers.Normalized::e164).orElse(null), country);
  }

  private Future<Void> intoConversations(SqlClient tx, List<List<Routed>> senders, List<ContactRef> found,
      List<ContactStore.Known> known, Map<Routed, Changes> owner) {
    List<Supplier<Future<Void>>> later = new ArrayList<>(); // one by one, started after the set-based part
    // the (channel, contact) pairs, distinct: two identities of a group may lead to one contact
    Map<String, Integer> pairIndex = new LinkedHashMap<>();
    List<UUID> organizations = new ArrayList<>();
    List<UUID> channels = new ArrayList<>();
    List<UUID> contactIds = new ArrayList<>();
    // each pair's latest conversation as the lookup found and locked it (null: none); pairs of senders created
    // just now are looked up and locked below
    Map<Integer, ConversationStore.Latest> lockedByPair = new HashMap<>();
    for (int i = 0; i < senders.size(); i++) {
      List<Routed> messagesOfSender = senders.get(i);
      Routed first = messagesOfSender.get(0);
      ContactRef contact = found.get(i);
      if (contact == null) {
        later.add(() -> InboundSteps.inOrder(messagesOfSender, routed -> {
          var message = (InboundEvent.Message) routed.event();
          Changes changes = owner.get(routed);
          return oneByOne.contact(tx, routed.channel(), message.sender(), changes)
              .compose(ref -> oneByOne.intoConversation(tx, routed.channel(), message, ref, null, changes));
        }));
        continue;
      }
      Changes changes = owner.get(first);
      if (contact.created()) {
        changes.event(OrgEvent.CONTACT_CREATED, first.channel().organizationId(), contact.toJson());
      } else if (contact.nameChanged()) {
        changes.event(OrgEvent.CONTACT_UPDATED, first.channel().organizationId(), contact.toJson());
      }
      String pair = first.channel().id() + "/" + contact.id();
      if (!pairIndex.containsKey(pair)) {
        pairIndex.put(pair, channels.size());
        organizations.add(first.channel().organizationId());
        channels.add(first.channel().id());
        contactIds.add(contact.id());
      }
      if (known.get(i) != null) {
        lockedByPair.put(pairIndex.get(pair), known.get(i).conversation());
      }
    }
    Future<Void> setBased = channels.isEmpty()
        ? Future.succeededFuture()
        : lockRest(tx, channels, contactIds, lockedByPair).compose(latest -> {
          List<Incoming> incoming = new ArrayList<>();
          // pairs without a conversation: one is opened, written once with its first messages counted
          Map<Integer, List<Incoming>> freshPairs = new LinkedHashMap<>();
          for (int i = 0; i < senders.size(); i++) {
            ContactRef contact = found.get(i);
            if (contact == null) {
              continue;
            }
            List<Routed> messagesOfSender = senders.get(i);
            int pair = pairIndex.get(messagesOfSender.get(0).channel().id() + "/" + contact.id());
            ConversationStore.Latest conversation = latest.get(pair);
            if (conversation == null) {
              List<Incoming> fresh = freshPairs.computeIfAbsent(pair, p -> new ArrayList<>());
              messagesOfSender.forEach(routed -> fresh.add(new Incoming(routed, contact, null)));
            } else if (conversation.open()) {
              Opened open = new Opened(conversation.id(), false, false);
              messagesOfSender.forEach(routed -> incoming.add(new Incoming(routed, contact, open)));
            } else { // closed: reopened one by one, with its system message
              later.add(() -> oneByOne(tx, messagesOfSender, contact, owner));
            }
          }
          return open(tx, freshPairs, organizations, channels, contactIds).compose(created -> {
            for (var entry : freshPairs.entrySet()) {
              List<Incoming> pair = entry.getValue();
              UUID id = created.idsByPair().get(entry.getKey());
              if (id == null) { // opened meanwhile by another transaction: one by one, the contact known
                later.add(() -> oneByOne(tx, pair.stream().map(Incoming::routed).toList(), pair.get(0).contact(),
                    owner));
              } else {
                Opened opened = new Opened(id, true, false);
                pair.forEach(in -> incoming.add(new Incoming(in.routed(), in.contact(), opened, in.messageId())));
              }
            }
            return incoming.isEmpty() ? Future.<Void>succeededFuture() : store(tx, incoming, created.rows(), owner);
          });
        });
    return setBased.compose(v -> Future.join(later.stream().map(Supplier::get).toList()).mapEmpty());
  }

  /**
   * Every pair's latest conversation, locked: those in {@code locked} were found and locked with their senders; the
   * rest (senders created in this transaction, usually none) are looked up and locked here. Aligned with the pairs.
   */
  private Future<List<ConversationStore.Latest>> lockRest(SqlClient tx, List<UUID> channels, List<UUID> contactIds,
      Map<Integer, ConversationStore.Latest> locked) {
    List<Integer> rest = new ArrayList<>();
    List<ConversationStore.Latest> latest = new ArrayList<>(channels.size());
    for (int pair = 0; pair < channels.size(); pair++) {
      latest.add(locked.get(pair));
      if (!locked.containsKey(pair)) {
        rest.add(pair);
      }
    }
    if (rest.isEmpty()) {
      return Future.succeededFuture(latest);
    }
    return conversations.lockLatestAll(tx, rest.stream().map(channels::get).toList(),
        rest.stream().map(contactIds::get).toList()).map(lockedNow -> {
          for (int j = 0; j < rest.size(); j++) {
            latest.set(rest.get(j), lockedNow.get(j));
          }
          return latest;
        });
  }

  /** Messages of one sender whose contact is known, one by one and in order ({@link #intoConversation}). */
  private Future<Void> oneByOne(SqlClient tx, List<Routed> messagesOfSender, ContactRef contact,
      Map<Routed, Changes> owner) {
    return InboundSteps.inOrder(messagesOfSender, routed -> oneByOne.intoConversation(tx, routed.channel(),
        (InboundEvent.Message) routed.event(), contact, null, owner.get(routed)));
  }

  /** The conversations {@link #open} inserted: their rows by id, and their ids by pair. */
  private record Created(Map<UUID, ConversationRow> rows, Map<Integer, UUID> idsByPair) {}

  /**
   * Opens a conversation for each fresh pair, in one statement, already counting the pair's messages (their ids are
   * chosen here): unread count, last message, window. A pair another transaction opened meanwhile is left out.
   */
  private Future<Created> open(SqlClient tx, Map<Integer, List<Incoming>> freshPairs, List<UUID> organizations,
      List<UUID> channels, List<UUID> contactIds) {
    if (freshPairs.isEmpty()) {
      return Future.succeededFuture(new Created(Map.of(), Map.of()));
    }
    List<ConversationStore.NewConversation> fresh = new ArrayList<>();
    Map<UUID, Integer> pairOf = new HashMap<>();
    freshPairs.forEach((pair, messagesOfPair) -> {
      Incoming latest = latest(messagesOfPair, in -> in.message().timestamp());
      UUID id = UUID.randomUUID();
      Instant at = latest.message().timestamp();
      fresh.add(new ConversationStore.NewConversation(id, organizations.get(pair), channels.get(pair),
          contactIds.get(pair), messagesOfPair.size(), latest.messageId(), at,
          oneByOne.windowEnd(latest.routed().channel(), at)));
      pairOf.put(id, pair);
    });
    return conversations.insertOpenAll(tx, fresh).map(rows -> {
      Map<Integer, UUID> ids = new HashMap<>();
      rows.keySet().forEach(id -> ids.put(pairOf.get(id), id));
      return new Created(rows, ids);
    });
  }

  /** The newest of {@code items} by {@code time}; of equal times, the later one (as one-by-one application keeps). */
  private static <T> T latest(List<T> items, Function<T, Instant> time) {
    T latest = items.get(0);
    for (T item : items) {
      if (!time.apply(item).isBefore(time.apply(latest))) {
        latest = item;
      }
    }
    return latest;
  }

  /** A new message on its way into an open conversation, with the id it will be stored under. */
  private record Incoming(Routed routed, ContactRef contact, Opened conversation, UUID messageId) {
    Incoming(Routed routed, ContactRef contact, Opened conversation) {
      this(routed, contact, conversation, UUID.randomUUID());
    }

    InboundEvent.Message message() {
      return (InboundEvent.Message) routed.event();
    }
  }

  /**
   * The set-based end of {@link #messages}: the messages inserted; each existing conversation's counters moved
   * once; a conversation just opened ({@code created}) already counted its messages, and is only corrected in the
   * rare case that some of them were not stored.
   */
  private Future<Void> store(SqlClient tx, List<Incoming> incoming, Map<UUID, ConversationRow> created,
      Map<Routed, Changes> owner) {
    List<NewMessage> rows = new ArrayList<>(incoming.size());
    for (Incoming in : incoming) {
      InboundEvent.Message message = in.message();
      Channel channel = in.routed().channel();
      rows.add(new NewMessage(in.messageId(), channel.organizationId(), in.conversation().id(), channel.id(),
          "inbound", message.type(), message.body(), message.content(), message.providerMessageId(),
          message.replyToProviderId(), "contact", null, "received", message.timestamp(), null, message.raw()));
    }
    // each existing conversation's counters, computed as if every message is stored, are sent with the insert
    // (pipelined: one round trip for both); the rare message a concurrent transaction stored first is corrected after
    Map<UUID, List<Integer>> planned = new LinkedHashMap<>();
    for (int i = 0; i < incoming.size(); i++) {
      planned.computeIfAbsent(incoming.get(i).conversation().id(), k -> new ArrayList<>()).add(i);
    }
    List<ConversationStore.Received> received = new ArrayList<>();
    planned.forEach((conversationId, positions) -> {
      if (!created.containsKey(conversationId)) {
        int latest = latest(positions, i -> rows.get(i).sentAt());
        Instant at = rows.get(latest).sentAt();
        received.add(new ConversationStore.Received(conversationId, positions.size(), rows.get(latest).id(), at,
            oneByOne.windowEnd(incoming.get(latest).routed().channel(), at)));
      }
    });
    Future<Map<UUID, MessageRow>> inserted = messages.insertAll(tx, rows);
    Future<List<ConversationRow>> counted = received.isEmpty()
        ? Future.succeededFuture(List.of())
        : conversations.recordInboundAll(tx, received);
    return Future.all(inserted, counted).compose(both -> {
      Map<UUID, MessageRow> stored = inserted.result();
      // per conversation, in the group's order: its new messages, and the latest of them (ties: the later one)
      Map<UUID, List<Integer>> byConversation = new LinkedHashMap<>();
      Map<UUID, Integer> missing = new HashMap<>();
      for (int i = 0; i < incoming.size(); i++) {
        UUID conversationId = incoming.get(i).conversation().id();
        if (stored.containsKey(rows.get(i).id())) {
          byConversation.computeIfAbsent(conversationId, k -> new ArrayList<>()).add(i);
        } else { // the same message committed concurrently: a retry, nothing to do
          owner.get(incoming.get(i).routed()).duplicates++;
          missing.merge(conversationId, 1, Integer::sum);
        }
      }
      Map<UUID, Integer> latestOf = new HashMap<>();
      byConversation.forEach((conversationId, positions) ->
          latestOf.put(conversationId, latest(positions, i -> rows.get(i).sentAt())));
      // every touched conversation, counted or just opened; one that counted a message that was not stored after
      // all is counted again from what it holds
      List<ConversationRow> counts = new ArrayList<>(counted.result());
      counts.addAll(created.values());
      List<Future<ConversationRow>> corrected = counts.stream().map(row -> missing.containsKey(row.id())
          ? conversations.recount(tx, row.id(), missing.get(row.id()))
          : Future.succeededFuture(row)).toList();
      return Future.all(corrected).compose(all -> {
        List<ConversationRow> touched = all.list();
        List<Future<Void>> timelines = new ArrayList<>(touched.size());
        for (ConversationRow conversation : touched) {
          List<Integer> positions = byConversation.getOrDefault(conversation.id(), List.of());
          Integer latestPosition = latestOf.get(conversation.id());
          boolean isNew = created.containsKey(conversation.id());
          if (latestPosition == null) { // a conversation none of whose messages was stored after all
            Incoming any = incoming.stream().filter(in -> in.conversation().id().equals(conversation.id()))
                .findFirst().orElseThrow();
            timelines.add(timeline.changed(tx, conversation, any.contact().toJson(), null, isNew,
                owner.get(any.routed())));
            continue;
          }
          Incoming last = incoming.get(latestPosition);
          MessageRow latest = stored.get(rows.get(latestPosition).id());
          timelines.add(timeline.changed(tx, conversation, last.contact().toJson(), latest, isNew,
                  owner.get(last.routed()))
              .map(v -> {
                for (int i : positions) {
                  Changes changes = owner.get(incoming.get(i).routed());
                  JsonObject json = stored.get(rows.get(i).id()).toJson(new JsonObject());
                  changes.event(OrgEvent.MESSAGE_CREATED, conversation.organizationId(), json);
                  changes.notifications.add(
                      InboundMessagesOneByOne.notification(conversation, incoming.get(i).contact(), json));
                  changes.applied++;
                }
                return null;
              }));
        }
        return Future.join(timelines).mapEmpty();
      });
    });
  }
}

package dev.parley.conversation;

import dev.parley.bus.OrgEvent;
import dev.parley.channel.Channel;
import dev.parley.contact.PhoneNumbers;
import dev.parley.conversation.InboundBatch.Routed;
import dev.parley.provider.InboundEvent;
import dev.parley.provider.ProviderRegistry;
import dev.parley.provider.ServiceWindow;
import dev.parley.push.PushMessage;
import dev.parley.store.ChannelStore;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactStore.ContactRef;
import dev.parley.store.ConversationStore;
import dev.parley.store.ConversationStore.ConversationRow;
import dev.parley.store.ConversationStore.Opened;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.MessageRow;
import dev.parley.store.MessageStore.NewMessage;
import dev.parley.store.MessageStore.StatusRecord;
import dev.parley.store.OutboundQueue;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies webhooks' events to PostgreSQL, one group of webhooks per transaction: contacts, conversations,
 * messages, statuses, reactions, edits and identity changes. Idempotent: applying the same batch twice changes nothing
 * the second time. Returns what changed so the caller can update Redis and publish after commit.
 */
final class InboundApplier {
  private static final Logger log = LoggerFactory.getLogger(InboundApplier.class);
  private static final int MAX_ATTEMPTS = 3;
  /** The inbox screen whose users are notified of every new customer message. */
  private static final String CHATS_VIEW = "chats";

  private final Pool pool;
  private final ProviderRegistry providers;
  private final Duration serviceWindow;
  private final ContactStore contacts = new ContactStore();
  private final ConversationStore conversations = new ConversationStore();
  private final MessageStore messages = new MessageStore();
  private final MessageStatuses statuses = new MessageStatuses(messages);
  private final OutboundQueue outbound = new OutboundQueue();
  private final Timeline timeline = new Timeline();

  InboundApplier(Pool pool, ProviderRegistry providers, Duration serviceWindow) {
    this.pool = pool;
    this.providers = providers;
    this.serviceWindow = serviceWindow;
  }

  /**
   * Applies several webhooks' batches in one transaction (a group commit: one commit, one fsync, for all of them),
   * keeping each batch's changes and counts apart. The events of all batches are applied together in
   * {@link #ORDER}, so a retried webhook arriving beside its first delivery is still applied once.
   */
  Future<List<Changes>> apply(List<InboundBatch> batches) {
    return apply(batches, tx -> Future.succeededFuture());
  }

  /**
   * As {@link #apply(List)}, and runs {@code alsoInTransaction} in the same transaction after the events (the
   * projector records the log position it reached there, so a commit holds both or neither).
   */
  Future<List<Changes>> apply(List<InboundBatch> batches, Function<SqlClient, Future<Void>> alsoInTransaction) {
    // a stable order (identity changes, messages, edits, reactions, statuses; then by sender and time) makes
    // concurrent transactions take row locks in the same order, which keeps deadlocks rare
    List<Routed> events = ordered(batches.stream().flatMap(batch -> batch.events().stream()).toList());
    return attempt(batches, events, alsoInTransaction, 1);
  }

  private Future<List<Changes>> attempt(List<InboundBatch> batches, List<Routed> events,
      Function<SqlClient, Future<Void>> alsoInTransaction, int attempt) {
    return pool.<List<Changes>>withTransaction(tx -> {
      // each event's changes go to its own webhook's; identity, since a retry's events equal the first delivery's
      Map<Routed, Changes> owner = new IdentityHashMap<>();
      List<Changes> changes = new ArrayList<>(batches.size());
      for (InboundBatch batch : batches) {
        var batchChanges = new Changes();
        changes.add(batchChanges);
        batch.events().forEach(routed -> owner.put(routed, batchChanges));
      }
      Future<Void> chain = Future.succeededFuture();
      for (List<List<Routed>> phase : phases(events)) {
        if (phase.get(0).get(0).event() instanceof InboundEvent.Message) {
          // the bulk of any group: its new messages are applied set-based
          chain = chain.compose(v -> messages(tx, phase.stream().flatMap(List::stream).toList(), owner));
          continue;
        }
        if (phase.get(0).get(0).event() instanceof InboundEvent.Status) {
          chain = chain.compose(v -> statuses(tx, phase.stream().flatMap(List::stream).toList(), owner));
          continue;
        }
        // the groups of a phase touch different rows, so their statements are pipelined on the one connection
        chain = chain.compose(v -> inGroups(tx, phase, owner));
      }
      return chain.compose(v -> alsoInTransaction.apply(tx)).map(changes);
    }).recover(failure -> {
      if (attempt < MAX_ATTEMPTS && failure instanceof PgException pg
          && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()))) {
        log.info("retrying inbound batch after {} (attempt {})", pg.getSqlState(), attempt);
        return attempt(batches, events, alsoInTransaction, attempt + 1);
      }
      return Future.failedFuture(failure);
    });
  }

  /** The events in {@link #ORDER}: kinds in turn, then channel, sender or target, and time. */
  static List<Routed> ordered(List<Routed> events) {
    return events.stream().sorted(ORDER).toList();
  }

  private Future<Void> inGroups(SqlClient tx, List<List<Routed>> groups, Map<Routed, Changes> owner) {
    return Future.join(groups.stream().map(group -> inOrder(group, routed -> applyOne(tx, routed, owner.get(routed))))
        .toList()).mapEmpty();
  }

  private static Future<Void> inOrder(List<Routed> group, Function<Routed, Future<Void>> step) {
    Future<Void> chain = Future.succeededFuture();
    for (Routed routed : group) {
      chain = chain.compose(v -> step.apply(routed));
    }
    return chain;
  }

  /**
   * The messages phase of a group, set-based: whatever the group's size, a handful of statements, each for all its
   * messages ({@code unnest} of arrays): which are already stored, their senders' contacts (found, refreshed or
   * created), their conversations (locked or opened), the messages themselves, then each conversation's counters
   * once. Whatever the set-based path cannot decide alone goes through the one-by-one path, in the sender's order
   * and after it: a sender another transaction is registering, a closed conversation to reopen (with its system
   * message), a conversation another transaction opened meanwhile.
   */
  private Future<Void> messages(SqlClient tx, List<Routed> events, Map<Routed, Changes> owner) {
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
    return messages.existing(tx,
        candidates.stream().map(routed -> routed.channel().id()).toList(),
        candidates.stream().map(routed -> ((InboundEvent.Message) routed.event()).providerMessageId()).toList())
        .compose(existing -> {
          Map<String, List<Routed>> bySender = new LinkedHashMap<>();
          for (int i = 0; i < candidates.size(); i++) {
            Routed routed = candidates.get(i);
            if (existing.contains(i)) {
              owner.get(routed).duplicates++;
            } else {
              var message = (InboundEvent.Message) routed.event();
              bySender.computeIfAbsent(routed.channel().id() + "/" + message.sender().externalId(),
                  k -> new ArrayList<>()).add(routed);
            }
          }
          if (bySender.isEmpty()) {
            return Future.succeededFuture();
          }
          List<List<Routed>> senders = List.copyOf(bySender.values());
          return contacts.findOrCreateAll(tx, senders.stream().map(InboundApplier::sighting).toList())
              .compose(found -> intoConversations(tx, senders, found, owner));
        });
  }

  /** One sender's messages as {@link ContactStore#findOrCreateAll} takes them: the newest profile fields win. */
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

  private Future<Void> intoConversations(
      SqlClient tx, List<List<Routed>> senders, List<ContactRef> found, Map<Routed, Changes> owner) {
    List<Supplier<Future<Void>>> later = new ArrayList<>(); // one by one, started after the set-based part
    // the (channel, contact) pairs, distinct: two identities of a group may lead to one contact
    Map<String, Integer> pairIndex = new LinkedHashMap<>();
    List<UUID> organizations = new ArrayList<>();
    List<UUID> channels = new ArrayList<>();
    List<UUID> contactIds = new ArrayList<>();
    for (int i = 0; i < senders.size(); i++) {
      List<Routed> messagesOfSender = senders.get(i);
      Routed first = messagesOfSender.get(0);
      ContactRef contact = found.get(i);
      if (contact == null) {
        later.add(() -> inOrder(messagesOfSender, routed -> {
          var message = (InboundEvent.Message) routed.event();
          Changes changes = owner.get(routed);
          return contact(tx, routed.channel(), message.sender(), changes)
              .compose(ref -> intoConversation(tx, routed.channel(), message, ref, null, changes));
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
    }
    Future<Void> setBased = channels.isEmpty()
        ? Future.succeededFuture()
        : conversations.lockLatestAll(tx, channels, contactIds).compose(latest -> {
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

  /** Messages of one sender whose contact is known, one by one and in order ({@link #intoConversation}). */
  private Future<Void> oneByOne(SqlClient tx, List<Routed> messagesOfSender, ContactRef contact,
      Map<Routed, Changes> owner) {
    return inOrder(messagesOfSender, routed -> intoConversation(tx, routed.channel(),
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
          contactIds.get(pair), messagesOfPair.size(), latest.messageId(), at, windowEnd(latest.routed().channel(), at)));
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
    return messages.insertAll(tx, rows).compose(stored -> {
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
      List<ConversationStore.Received> received = new ArrayList<>();
      Map<UUID, Integer> latestOf = new HashMap<>();
      byConversation.forEach((conversationId, positions) -> {
        int latest = latest(positions, i -> rows.get(i).sentAt());
        latestOf.put(conversationId, latest);
        if (!created.containsKey(conversationId)) {
          Instant at = rows.get(latest).sentAt();
          received.add(new ConversationStore.Received(conversationId, positions.size(), rows.get(latest).id(), at,
              windowEnd(incoming.get(latest).routed().channel(), at)));
        }
      });
      Future<List<ConversationRow>> recorded = received.isEmpty()
          ? Future.succeededFuture(List.of())
          : conversations.recordInboundAll(tx, received);
      List<Future<ConversationRow>> corrected = new ArrayList<>();
      created.forEach((id, row) -> corrected.add(missing.containsKey(id)
          ? conversations.recount(tx, id, missing.get(id))
          : Future.succeededFuture(row)));
      return Future.all(recorded, Future.all(corrected)).compose(all -> {
        List<ConversationRow> touched = new ArrayList<>(recorded.result());
        corrected.forEach(row -> touched.add(row.result()));
        List<Future<Void>> timelines = new ArrayList<>(touched.size());
        for (ConversationRow conversation : touched) {
          List<Integer> positions = byConversation.getOrDefault(conversation.id(), List.of());
          Integer latestPosition = latestOf.get(conversation.id());
          boolean isNew = created.containsKey(conversation.id());
          if (latestPosition == null) { // a new conversation none of whose messages was stored
            Incoming any = incoming.stream().filter(in -> in.conversation().id().equals(conversation.id()))
                .findFirst().orElseThrow();
            timelines.add(timeline.changed(tx, conversation, any.contact().toJson(), null, true,
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
                  changes.notifications.add(notification(conversation, incoming.get(i).contact(), json));
                  changes.applied++;
                }
                return null;
              }));
        }
        return Future.join(timelines).mapEmpty();
      });
    });
  }

  /**
   * The statuses phase of a group, set-based: the messages they name found in one statement, their history recorded
   * in one, each message moved once to the furthest status its statuses allow, and the statuses of messages not
   * known yet kept in one. A status naming, in {@code biz_opaque_callback_data}, a message whose acceptance was never
   * recorded goes one by one ({@link #adopt}).
   */
  private Future<Void> statuses(SqlClient tx, List<Routed> events, Map<Routed, Changes> owner) {
    return messages.findAllByProviderId(tx,
        events.stream().map(routed -> routed.channel().id()).toList(),
        events.stream().map(routed -> ((InboundEvent.Status) routed.event()).providerMessageId()).toList())
        .compose(found -> {
          List<Routed> known = new ArrayList<>();
          List<MessageRow> targets = new ArrayList<>();
          List<Routed> unknown = new ArrayList<>();
          List<Routed> adopting = new ArrayList<>();
          for (int i = 0; i < events.size(); i++) {
            Routed routed = events.get(i);
            if (found.containsKey(i)) {
              known.add(routed);
              targets.add(found.get(i));
            } else if (callbackMessageId(((InboundEvent.Status) routed.event()).raw()) != null) {
              adopting.add(routed);
            } else {
              unknown.add(routed);
            }
          }
          Future<Void> kept = unknown.isEmpty()
              ? Future.succeededFuture()
              : messages.keepPendingStatuses(tx,
                      unknown.stream().map(routed -> routed.channel().id()).toList(),
                      unknown.stream().map(routed -> ((InboundEvent.Status) routed.event()).providerMessageId()).toList(),
                      unknown.stream().map(routed -> record((InboundEvent.Status) routed.event())).toList())
                  .onSuccess(v -> unknown.forEach(routed -> owner.get(routed).pending++));
          Future<Void> applied = known.isEmpty() ? Future.succeededFuture() : history(tx, known, targets, owner);
          return Future.all(kept, applied).compose(v -> inOrder(adopting, routed ->
              status(tx, routed.channel(), (InboundEvent.Status) routed.event(), owner.get(routed))));
        });
  }

  /** {@link MessageStatuses#apply} for the known messages' statuses, set-based. */
  private Future<Void> history(SqlClient tx, List<Routed> known, List<MessageRow> targets, Map<Routed, Changes> owner) {
    List<Integer> firsts = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (int j = 0; j < known.size(); j++) {
      if (seen.add(targets.get(j).id() + "/" + ((InboundEvent.Status) known.get(j).event()).status())) {
        firsts.add(j);
      } else { // the same status of the same message twice in the group: the first one counts
        owner.get(known.get(j)).duplicates++;
      }
    }
    return messages.addHistoryAll(tx,
            firsts.stream().map(j -> targets.get(j).id()).toList(),
            firsts.stream().map(j -> record((InboundEvent.Status) known.get(j).event())).toList())
        .compose(recorded -> {
          Map<UUID, Progress> progress = new LinkedHashMap<>();
          for (int j : firsts) {
            Routed routed = known.get(j);
            var status = (InboundEvent.Status) routed.event();
            MessageRow target = targets.get(j);
            if (!recorded.contains(target.id() + "/" + status.status())) {
              owner.get(routed).duplicates++;
              continue;
            }
            owner.get(routed).applied++;
            progress.computeIfAbsent(target.id(), id -> new Progress(target)).advance(status, routed);
          }
          List<Progress> moving = progress.values().stream().filter(p -> p.last != null).toList();
          if (moving.isEmpty()) {
            return Future.<Void>succeededFuture();
          }
          return messages.moveStatusAll(tx, moving.stream().map(Progress::move).toList()).compose(moved -> moved
              .isEmpty()
              ? Future.<Void>succeededFuture()
              : messages.reactionsAll(tx, moved.stream().map(MessageRow::channelId).toList(),
                      moved.stream().map(MessageRow::providerMessageId).toList())
                  .map(reactions -> {
                    for (MessageRow row : moved) {
                      JsonObject ofRow = reactions.getOrDefault(row.channelId() + "/" + row.providerMessageId(),
                          new JsonObject());
                      owner.get(progress.get(row.id()).last)
                          .event(OrgEvent.MESSAGE_UPDATED, row.organizationId(), row.toJson(ofRow));
                    }
                    return null;
                  }));
        });
  }

  /** Where a message's statuses in one group take it, each only replacing an earlier one ({@link MessageStatus}). */
  private static final class Progress {
    private final UUID messageId;
    private String status;
    private Integer errorCode;
    private String errorTitle;
    /** The last status that moved it; null while none did. */
    private Routed last;

    Progress(MessageRow message) {
      this.messageId = message.id();
      this.status = message.status();
    }

    void advance(InboundEvent.Status next, Routed routed) {
      if (List.of(MessageStatus.replaceableBy(next.status())).contains(status)) {
        status = next.status();
        errorCode = next.errorCode() != null ? next.errorCode() : errorCode;
        errorTitle = next.errorTitle() != null ? next.errorTitle() : errorTitle;
        last = routed;
      }
    }

    MessageStore.Move move() {
      return new MessageStore.Move(messageId, status, MessageStatus.replaceableBy(status), errorCode, errorTitle);
    }
  }

  private static StatusRecord record(InboundEvent.Status status) {
    return new StatusRecord(status.status(), status.timestamp(), status.errorCode(), status.errorTitle(), status.raw());
  }

  /**
   * The sorted events as phases, applied one after the other in {@link #ORDER}'s kinds (identity changes, messages,
   * edits, reactions, statuses), each phase as groups applied concurrently: one group per sender for messages
   * (one sender's messages go to one contact and conversation, in order) and one per message for statuses; the
   * rarer kinds stay one group, in order.
   */
  static List<List<List<Routed>>> phases(List<Routed> sorted) {
    List<List<List<Routed>>> phases = new ArrayList<>();
    Map<String, List<Routed>> groups = null;
    int rank = -1;
    for (Routed routed : sorted) {
      int r = rank(routed.event());
      if (r != rank || groups == null) {
        if (groups != null) {
          phases.add(List.copyOf(groups.values()));
        }
        groups = new LinkedHashMap<>();
        rank = r;
      }
      String key = routed.event() instanceof InboundEvent.Message || routed.event() instanceof InboundEvent.Status
          ? routed.channel().id() + "/" + sortKey(routed.event())
          : "";
      groups.computeIfAbsent(key, k -> new ArrayList<>()).add(routed);
    }
    if (groups != null) {
      phases.add(List.copyOf(groups.values()));
    }
    return phases;
  }

  private Future<Void> applyOne(SqlClient tx, Routed routed, Changes changes) {
    Channel channel = routed.channel();
    InboundEvent event = routed.event();
    if (event instanceof InboundEvent.Message message) {
      return message(tx, channel, message, null, changes);
    } else if (event instanceof InboundEvent.Status status) {
      return status(tx, channel, status, changes);
    } else if (event instanceof InboundEvent.Reaction reaction) {
      return reaction(tx, channel, reaction, changes);
    } else if (event instanceof InboundEvent.Edit edit) {
      return edit(tx, channel, edit, changes);
    } else if (event instanceof InboundEvent.IdentityChange change) {
      return identityChange(tx, channel, change, changes);
    }
    return providerError(tx, channel, (InboundEvent.ProviderError) event, changes);
  }

  private Future<Void> message(
      SqlClient tx, Channel channel, InboundEvent.Message message, Instant editedAt, Changes changes) {
    return messages.exists(tx, channel.id(), message.providerMessageId()).compose(exists -> {
      if (exists) {
        changes.duplicates++;
        return Future.succeededFuture();
      }
      return contact(tx, channel, message.sender(), changes)
          .compose(contact -> intoConversation(tx, channel, message, contact, editedAt, changes));
    });
  }

  /** A new message of a known contact into its conversation: found, reopened or opened. */
  private Future<Void> intoConversation(SqlClient tx, Channel channel, InboundEvent.Message message,
      ContactRef contact, Instant editedAt, Changes changes) {
    UUID org = channel.organizationId();
    return conversations.openFor(tx, org, channel.id(), contact.id(), message.timestamp()).compose(opened -> {
      Future<Void> reopened = opened.reopened()
          ? systemMessage(tx, channel, opened.id(), contact, message.timestamp().minusMillis(1),
              "Conversation reopened by a new message from the customer",
              new JsonObject().put("event", "conversation.reopened"), null, changes)
          : Future.succeededFuture();
      var row = new NewMessage(UUID.randomUUID(), org, opened.id(), channel.id(), "inbound", message.type(),
          message.body(), message.content(), message.providerMessageId(), message.replyToProviderId(),
          "contact", null, "received", message.timestamp(), editedAt, message.raw());
      return reopened.compose(v -> messages.insert(tx, row)).compose(inserted -> {
        if (inserted.isEmpty()) { // the same message committed concurrently: a retry, nothing to do
          changes.duplicates++;
          return Future.succeededFuture();
        }
        MessageRow stored = inserted.get();
        return conversations.recordInbound(tx, opened.id(), stored.id(), message.timestamp(),
                windowEnd(channel, message.timestamp()))
            .compose(conversation -> timeline.changed(tx, conversation, contact.toJson(), stored, opened.created(),
                    changes)
                .map(v -> {
                  JsonObject json = stored.toJson(new JsonObject()); // both only ever encode it
                  changes.event(OrgEvent.MESSAGE_CREATED, org, json);
                  changes.notifications.add(notification(conversation, contact, json));
                  changes.applied++;
                  return null;
                }));
      });
    });
  }

  private Future<ContactRef> contact(SqlClient tx, Channel channel, InboundEvent.Sender sender, Changes changes) {
    Optional<PhoneNumbers.Normalized> number = PhoneNumbers.fromInternational(sender.phone());
    String country = number.map(PhoneNumbers.Normalized::country).orElse(PhoneNumbers.countryOfUserId(sender.userId()));
    var identity = new ContactStore.Identity(sender.externalId(), sender.userId(), sender.profileName(), sender.username());
    return contacts.findOrCreate(tx, channel.organizationId(), channel.id(), identity,
            number.map(PhoneNumbers.Normalized::e164).orElse(null), country)
        .onSuccess(contact -> {
          if (contact.created()) {
            changes.event(OrgEvent.CONTACT_CREATED, channel.organizationId(), contact.toJson());
          } else if (contact.nameChanged()) {
            changes.event(OrgEvent.CONTACT_UPDATED, channel.organizationId(), contact.toJson());
          }
        });
  }

  private Future<Void> status(SqlClient tx, Channel channel, InboundEvent.Status status, Changes changes) {
    StatusRecord record = record(status);
    return messages.findByProviderId(tx, channel.id(), status.providerMessageId())
        .compose(found -> found.isPresent() ? Future.succeededFuture(found) : adopt(tx, channel, status))
        .compose(found -> {
          if (found.isEmpty()) {
            changes.pending++;
            return messages.keepPendingStatus(tx, channel.id(), status.providerMessageId(), record);
          }
          return statuses.apply(tx, found.get(), record, changes);
        });
  }

  /**
   * A status for a message Parley sent but whose acceptance it never recorded (it crashed, or the call timed
   * out, while the provider accepted it): the provider echoes the message id Parley put in
   * {@code biz_opaque_callback_data}. The message takes the provider's id and leaves the outbound queue, so
   * it is never sent twice.
   */
  private Future<Optional<MessageRow>> adopt(SqlClient tx, Channel channel, InboundEvent.Status status) {
    UUID messageId = callbackMessageId(status.raw());
    if (messageId == null) {
      return Future.succeededFuture(Optional.empty());
    }
    return messages.adoptOutbound(tx, channel.id(), messageId, status.providerMessageId()).compose(adopted -> adopted
        .isEmpty()
        ? Future.succeededFuture(adopted)
        : outbound.remove(tx, messageId).map(adopted));
  }

  private static UUID callbackMessageId(JsonObject raw) {
    Object data = raw == null ? null : raw.getValue("biz_opaque_callback_data");
    if (!(data instanceof String text) || text.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private Future<Void> reaction(SqlClient tx, Channel channel, InboundEvent.Reaction reaction, Changes changes) {
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

  private Future<Void> edit(SqlClient tx, Channel channel, InboundEvent.Edit edit, Changes changes) {
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
            return message(tx, channel, asMessage, edit.timestamp(), changes);
          });
        });
  }

  private Future<Void> identityChange(
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
                systemMessage(tx, channel, opened.id(), updated, change.timestamp(),
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

  private Future<Void> providerError(SqlClient tx, Channel channel, InboundEvent.ProviderError error, Changes changes) {
    log.warn("provider error on channel {}: {} {} {}", channel.id(), error.code(), error.title(), error.details());
    changes.applied++;
    String text = error.code() + " " + (error.title() == null ? "" : error.title())
        + (error.details() == null ? "" : ": " + error.details());
    return ChannelStore.recordError(tx, channel.id(), text.strip(), Instant.now());
  }

  private Future<Void> systemMessage(SqlClient tx, Channel channel, UUID conversationId, ContactRef contact,
      Instant at, String body, JsonObject content, String providerMessageId, Changes changes) {
    return timeline.systemMessage(tx, channel.organizationId(), channel.id(), conversationId, contact.toJson(), at, body,
        content, providerMessageId, changes).mapEmpty();
  }

  /**
   * A new customer message: for everyone in the chats view, and for the conversation's owner wherever they are.
   * Self-contained, so an inbox can show it (and play a sound) without fetching anything.
   */
  private static JsonObject notification(ConversationRow conversation, ContactRef contact, JsonObject message) {
    var data = new JsonObject()
        .put("kind", "new_message")
        .put("conversation_id", conversation.id().toString())
        .put("assignee_id", conversation.assigneeId() == null ? null : conversation.assigneeId().toString())
        .put("unread_count", conversation.unreadCount())
        .put("contact", contact.toJson())
        .put("message", message);
    return PushMessage.toViewOrUser(conversation.organizationId(), OrgEvent.NOTIFICATION, data, CHATS_VIEW,
        conversation.assigneeId());
  }

  private Future<Void> messageUpdated(SqlClient tx, Channel channel, String providerMessageId, Changes changes) {
    return messages.findByProviderId(tx, channel.id(), providerMessageId).compose(found -> found.isEmpty()
        ? Future.succeededFuture()
        : messages.reactions(tx, channel.id(), providerMessageId).map(reactions -> {
          changes.event(OrgEvent.MESSAGE_UPDATED, channel.organizationId(), found.get().toJson(reactions));
          return null;
        }));
  }

  private Instant windowEnd(Channel channel, Instant customerMessageAt) {
    boolean windowed = providers.get(channel.provider()).window() == ServiceWindow.CUSTOMER_SERVICE;
    return windowed ? customerMessageAt.plus(serviceWindow) : null;
  }

  private static final Comparator<Routed> ORDER = Comparator
      .comparingInt((Routed r) -> rank(r.event()))
      .thenComparing(r -> r.channel().id())
      .thenComparing(r -> sortKey(r.event()))
      .thenComparing(r -> r.event() instanceof InboundEvent.Message m ? m.timestamp() : Instant.EPOCH);

  private static int rank(InboundEvent event) {
    if (event instanceof InboundEvent.IdentityChange) {
      return 0;
    } else if (event instanceof InboundEvent.Message) {
      return 1;
    } else if (event instanceof InboundEvent.Edit) {
      return 2;
    } else if (event instanceof InboundEvent.Reaction) {
      return 3;
    } else if (event instanceof InboundEvent.Status) {
      return 4;
    }
    return 5;
  }

  private static String sortKey(InboundEvent event) {
    if (event instanceof InboundEvent.Message m) {
      return m.sender().externalId();
    } else if (event instanceof InboundEvent.Edit e) {
      return e.originalProviderId();
    } else if (event instanceof InboundEvent.Reaction r) {
      return r.targetProviderId();
    } else if (event instanceof InboundEvent.Status s) {
      return s.providerMessageId();
    } else if (event instanceof InboundEvent.IdentityChange c) {
      return String.valueOf(c.previousExternalId());
    }
    return "";
  }
}

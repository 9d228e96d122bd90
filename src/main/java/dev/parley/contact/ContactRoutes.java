package dev.parley.contact;

import dev.parley.auth.Principal;
import dev.parley.bus.OrgEvent;
import dev.parley.conversation.Changes;
import dev.parley.conversation.Committer;
import dev.parley.conversation.Timeline;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.store.ContactMergeStore;
import dev.parley.store.ContactMergeStore.MergeRow;
import dev.parley.store.ContactStore;
import dev.parley.store.ContactRow;
import dev.parley.store.ContactStore.IdentityRow;
import dev.parley.store.NoteStore;
import dev.parley.store.NoteStore.NoteRow;
import dev.parley.store.UserStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code /api/v1/contacts}: every user and service of the organization lists, reads, creates and edits contacts,
 * their labels and notes. Owners: a new contact belongs to the user who creates it (an API key names one or none);
 * agents may hand a contact over only when it is theirs or has no owner ({@code 403 not_owner}); admins and
 * services may set any active user of the organization. Deleting and merging are for admins and services; a
 * contact with conversations cannot be deleted ({@code 409 contact_has_conversations}: deactivate or merge it).
 * A changed mobile number is recorded as a system message in each of the contact's open conversations.
 */
public final class ContactRoutes implements Routes {
  private static final int MAX_NOTE_LENGTH = 10_000;

  private final Pool pool;
  private final Committer committer;
  private final UserStore users;
  private final ContactStore contacts = new ContactStore();
  private final ContactMergeStore merges = new ContactMergeStore();
  private final NoteStore notes = new NoteStore();
  private final Timeline timeline = new Timeline();
  private final ContactMerge merge;

  public ContactRoutes(Pool pool, Committer committer, UserStore users) {
    this.pool = pool;
    this.committer = committer;
    this.users = users;
    this.merge = new ContactMerge(committer);
  }

  @Override
  public void mount(Router api) {
    api.get("/contacts").handler(this::list);
    api.post("/contacts").handler(this::create);
    api.get("/contacts/:id").handler(this::read);
    api.patch("/contacts/:id").handler(this::update);
    api.delete("/contacts/:id").handler(this::delete);
    api.post("/contacts/:id/labels").handler(this::addLabels);
    api.delete("/contacts/:id/labels/:label").handler(this::removeLabel);
    api.get("/contacts/:id/notes").handler(this::listNotes);
    api.post("/contacts/:id/notes").handler(this::addNote);
    api.post("/contacts/:id/merge").handler(this::merge);
    api.get("/contacts/:id/merges").handler(this::listMerges);
  }

  private void list(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    var params = ctx.request();
    String q = params.getParam("q");
    if (q != null && q.length() > 200) {
      throw ApiException.invalid("q is longer than 200 characters");
    }
    String preference = params.getParam("preference");
    if (preference != null && !ContactInput.PREFERENCES.contains(preference)) {
      throw ApiException.invalid("preference must be proactive or reactive");
    }
    String owner = params.getParam("owner_id");
    UUID ownerId = null;
    if ("me".equals(owner)) {
      ownerId = caller.userId();
      if (ownerId == null) {
        throw ApiException.invalid("owner_id=me needs a signed-in user, not an API key");
      }
    } else if (owner != null) {
      ownerId = Api.id(owner, "owner_id must be a user id");
    }
    var filter = new ContactStore.ListFilter(q == null || q.isBlank() ? null : q.strip(), params.getParam("label"),
        ownerId, preference, Api.booleanParam(ctx, "active"));
    Api.answer(ctx, 200, contacts.list(pool, caller.organizationId(), filter, page.key(0, OffsetDateTime::parse),
            page.key(1, UUID::fromString), page.limit() + 1)
        .map(rows -> page.answer(rows, ContactRow::toJson,
            last -> Page.cursor(last.createdAt().toString(), last.id().toString()))));
  }

  private void read(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    Api.answer(ctx, 200, contacts.find(pool, caller.organizationId(), id)
        .compose(found -> detail(pool, found.orElseThrow(() -> ApiException.notFound("contact")))));
  }

  private void create(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    ContactInput input = ContactInput.parse(Api.body(ctx), true);
    UUID owner = input.has("owner_id") ? input.ownerId() : caller.userId();
    if (isAgent(caller) && !Objects.equals(owner, caller.id())) {
      throw ApiException.forbidden("an agent creates contacts that they own");
    }
    UUID org = caller.organizationId();
    var blank = new ContactRow(UUID.randomUUID(), org, null, null, null, null, null, new JsonObject(), new JsonObject(),
        new JsonObject(), owner, "reactive", true, List.of(), null, null);
    Api.answer(ctx, 201, checkOwner(caller, owner)
        .compose(v -> committer.transaction((tx, changes) -> contacts.insert(tx, input.applyTo(blank)).map(row -> {
          changes.event(OrgEvent.CONTACT_CREATED, org, row.toJson());
          return row.toJson().put("identities", new JsonArray());
        })))
        .recover(ContactRoutes::translate));
  }

  private void update(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    ContactInput input = ContactInput.parse(Api.body(ctx), false);
    UUID org = caller.organizationId();
    Api.answer(ctx, 200, committer.transaction((tx, changes) -> locked(tx, org, id).compose(current -> {
      boolean ownerChanges = input.has("owner_id") && !Objects.equals(input.ownerId(), current.ownerId());
      if (ownerChanges && isAgent(caller) && current.ownerId() != null && !current.ownerId().equals(caller.id())) {
        throw new ApiException(403, "not_owner", "only the contact's owner or an admin may change its owner");
      }
      return (ownerChanges ? checkOwner(caller, input.ownerId()) : Future.<Void>succeededFuture())
          .compose(v -> contacts.save(tx, input.applyTo(current)))
          .compose(saved -> {
            changes.event(OrgEvent.CONTACT_UPDATED, org, saved.toJson());
            return (Objects.equals(saved.mobileNumber(), current.mobileNumber())
                ? Future.<Void>succeededFuture()
                : numberChanged(tx, changes, caller, current, saved))
                .compose(v -> detail(tx, saved));
          });
    })).recover(ContactRoutes::translate));
  }

  /** "Phone number changed from X to Y by <name>" in each open conversation of the contact. */
  private Future<Void> numberChanged(SqlClient tx, Changes changes, Principal caller, ContactRow before, ContactRow after) {
    String body = "Phone number changed from " + numberText(before.mobileNumber()) + " to "
        + numberText(after.mobileNumber()) + " by " + caller.name();
    JsonObject content = new JsonObject().put("event", "contact.number_changed")
        .put("from", before.mobileNumber()).put("to", after.mobileNumber());
    return contacts.lockOpenConversations(tx, after.id()).compose(open -> {
      Future<Void> chain = Future.succeededFuture();
      for (var conversation : open) {
        chain = chain.compose(v -> timeline.systemMessage(tx, caller.organizationId(), conversation.channelId(),
            conversation.id(), after.summary(), Instant.now(), body, content.copy(), null, changes).mapEmpty());
      }
      return chain;
    });
  }

  private static String numberText(String number) {
    return number == null ? "no number" : number;
  }

  private void delete(RoutingContext ctx) {
    Principal caller = adminOrService(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    UUID org = caller.organizationId();
    committer.transaction((tx, changes) -> locked(tx, org, id).compose(contact -> contacts.hasConversations(tx, id)
            .compose(has -> {
              if (has) {
                throw new ApiException(409, "contact_has_conversations",
                    "the contact has conversations: deactivate it (PATCH active=false) or merge it instead");
              }
              return contacts.delete(tx, org, id);
            })
            .map(v -> {
              changes.event(OrgEvent.CONTACT_UPDATED, org, contact.toJson().put("active", false).put("deleted", true));
              return null;
            })))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private void addLabels(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    JsonObject body = Api.body(ctx);
    if (!body.containsKey("labels") || body.size() != 1) {
      throw ApiException.invalid("the body is {\"labels\":[…]}");
    }
    List<String> added = ContactInput.labels(body.getValue("labels"));
    if (added.isEmpty()) {
      throw ApiException.invalid("labels must not be empty");
    }
    changeLabels(ctx, caller, id, current -> {
      List<String> labels = new ArrayList<>(current);
      added.stream().filter(label -> !labels.contains(label)).forEach(labels::add);
      if (labels.size() > ContactInput.MAX_LABELS) {
        throw ApiException.invalid("a contact has at most " + ContactInput.MAX_LABELS + " labels");
      }
      return labels;
    });
  }

  private void removeLabel(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    String label = ctx.pathParam("label").strip();
    changeLabels(ctx, caller, id, current -> current.stream().filter(l -> !l.equals(label)).toList());
  }

  /** Applies a label change under the contact's lock; no write and no event when nothing changes. */
  private void changeLabels(RoutingContext ctx, Principal caller, UUID id,
      Function<List<String>, List<String>> change) {
    UUID org = caller.organizationId();
    Api.answer(ctx, 200, committer.transaction((tx, changes) -> locked(tx, org, id).compose(current -> {
      List<String> labels = change.apply(current.labels());
      if (labels.equals(current.labels())) {
        return detail(tx, current);
      }
      var next = new ContactRow(current.id(), org, current.name(), current.mobileNumber(), current.email(),
          current.dateOfBirth(), current.companyName(), current.address(), current.socialProfiles(),
          current.customAttributes(), current.ownerId(), current.preference(), current.active(), labels,
          current.createdAt(), current.updatedAt());
      return contacts.save(tx, next).compose(saved -> {
        changes.event(OrgEvent.CONTACT_UPDATED, org, saved.toJson());
        return detail(tx, saved);
      });
    })));
  }

  private void listNotes(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    Page page = Page.of(ctx);
    Api.answer(ctx, 200, existing(caller, id)
        .compose(v -> notes.list(pool, caller.organizationId(), NoteStore.Subject.CONTACT, id,
            page.key(0, OffsetDateTime::parse), page.key(1, UUID::fromString), page.limit() + 1))
        .map(rows -> page.answer(rows, NoteRow::toJson,
            last -> Page.cursor(last.createdAt().toString(), last.id().toString()))));
  }

  private void addNote(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    String body = Api.requiredString(Api.body(ctx), "body", MAX_NOTE_LENGTH).strip();
    Api.answer(ctx, 201, existing(caller, id)
        .compose(v -> notes.add(pool, caller.organizationId(), NoteStore.Subject.CONTACT, id, caller.id(),
            caller.isUser() ? "user" : "service", body))
        .map(NoteRow::toJson));
  }

  private void merge(RoutingContext ctx) {
    Principal caller = adminOrService(ctx);
    UUID keptId = Api.uuidParam(ctx, "id", "contact");
    JsonObject body = Api.body(ctx);
    UUID mergedId = Api.id(body.getValue("merge_contact_id"), "merge_contact_id must be a contact id");
    if (mergedId == null) {
      throw ApiException.invalid("merge_contact_id must be a contact id");
    }
    if (mergedId.equals(keptId)) {
      throw ApiException.invalid("a contact cannot be merged into itself");
    }
    Api.answer(ctx, 200, merge.merge(caller, keptId, mergedId).recover(ContactRoutes::translate));
  }

  private void listMerges(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "contact");
    Page page = Page.of(ctx);
    Api.answer(ctx, 200, existing(caller, id)
        .compose(v -> merges.list(pool, caller.organizationId(), id, page.key(0, OffsetDateTime::parse),
            page.key(1, UUID::fromString), page.limit() + 1))
        .map(rows -> page.answer(rows, MergeRow::toJson,
            last -> Page.cursor(last.createdAt().toString(), last.id().toString()))));
  }

  private static boolean isAgent(Principal caller) {
    return caller.isUser() && !caller.isAdmin();
  }

  /** The caller, who must be an admin user or a service (API key). */
  private static Principal adminOrService(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    if (isAgent(caller)) {
      throw ApiException.forbidden("only an admin or a service may do this");
    }
    return caller;
  }

  /** Succeeds when {@code owner} is null, the caller, or an active user of the caller's organization. */
  private Future<Void> checkOwner(Principal caller, UUID owner) {
    if (owner == null || owner.equals(caller.userId())) {
      return Future.succeededFuture();
    }
    return users.findById(caller.organizationId(), owner).map(user -> {
      if (user.isEmpty() || !user.get().active()) {
        throw new ApiException(400, "invalid_owner", "owner_id must be an active user of the organization");
      }
      return null;
    });
  }

  private Future<ContactRow> locked(SqlClient tx, UUID org, UUID id) {
    return contacts.lock(tx, org, id).map(found -> found.orElseThrow(() -> ApiException.notFound("contact")));
  }

  private Future<Void> existing(Principal caller, UUID id) {
    return contacts.find(pool, caller.organizationId(), id)
        .map(found -> {
          found.orElseThrow(() -> ApiException.notFound("contact"));
          return null;
        });
  }

  /** The contact with its channel identities (the detail shape). */
  private Future<JsonObject> detail(SqlClient client, ContactRow contact) {
    return contacts.identities(client, contact.id()).map(identities -> contact.toJson()
        .put("identities", new JsonArray(identities.stream().map(IdentityRow::toJson).toList())));
  }

  private static <T> Future<T> translate(Throwable failure) {
    if (failure instanceof ContactStore.NumberTaken) {
      return Future.failedFuture(new ApiException(409, "contact_exists",
          "another contact of the organization has this mobile number"));
    }
    if (failure instanceof PgException pg && "23505".equals(pg.getSqlState())
        && "conversations_one_open_key".equals(pg.getConstraint())) {
      return Future.failedFuture(new ApiException(409, "merge_conflict",
          "a conversation of these contacts changed during the merge; try again"));
    }
    return Future.failedFuture(failure);
  }
}

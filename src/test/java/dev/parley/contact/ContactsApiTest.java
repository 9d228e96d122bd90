package dev.parley.contact;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.bus.OrgEvent;
import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The contacts REST API: validation, numbers and countries, owners, lists, labels, notes, deletion and merges. */
@Tag("e2e")
class ContactsApiTest {
  private static final String SECOND_PHONE_NUMBER_ID = "700000000000007";
  private static final String SECOND_SECRET = "second-channel-secret";
  private static TestApp app;
  private static String admin;
  private static String agent;
  private static String service;
  private static UUID adminId;
  private static UUID agentId;
  private static UUID serviceKeyId;
  private static String adminName;
  private static String secondWebhookPath;
  private static String otherAdmin;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    agent = app.login("agent@parley.local", "parley-demo-agent");
    JsonObject key = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "CRM sync"), admin).bodyAsJsonObject();
    service = key.getString("key");
    serviceKeyId = UUID.fromString(key.getString("id"));
    Row adminRow = app.one("SELECT id, name FROM users WHERE email = $1", TestApp.ADMIN_EMAIL);
    adminId = adminRow.getUUID("id");
    adminName = adminRow.getString("name");
    agentId = app.one("SELECT id FROM users WHERE email = 'agent@parley.local'").getUUID("id");
    var channel = call(HttpMethod.POST, "/api/v1/channels", new JsonObject().put("provider", "whatsapp")
        .put("name", "Second line").put("external_id", SECOND_PHONE_NUMBER_ID)
        .put("credentials", new JsonObject().put("app_secret", SECOND_SECRET).put("verify_token", "second-verify")), admin);
    assertEquals(201, channel.statusCode(), channel.bodyAsString());
    secondWebhookPath = channel.bodyAsJsonObject().getString("webhook_path");
    UUID other = app.createOrganization("Elsewhere", UUID.randomUUID(), "800000000000008", "elsewhere-secret");
    app.createUser(other, "admin@elsewhere.example", "Elsewhere Admin", "admin", "elsewhere-password");
    otherAdmin = app.login("admin@elsewhere.example", "elsewhere-password");
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  private static HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body, String token) {
    return app.api(method, path, body, token);
  }

  private static JsonObject create(JsonObject body, String token) {
    var response = call(HttpMethod.POST, "/api/v1/contacts", body, token);
    assertEquals(201, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static JsonObject patch(String id, JsonObject body, String token) {
    var response = call(HttpMethod.PATCH, "/api/v1/contacts/" + id, body, token);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  /** A customer message on the demo channel (or the second one); returns the contact's id. */
  private static UUID inbound(String waId, String name, String messageId, boolean secondChannel) {
    String phoneNumberId = secondChannel ? SECOND_PHONE_NUMBER_ID : TestApp.PHONE_NUMBER_ID;
    String body = WhatsAppPayloads.messages(phoneNumberId, waId, name,
        WhatsAppPayloads.textMessage(waId, messageId, TestApp.now(), "hello from " + name)).encode();
    var response = secondChannel
        ? app.post(secondWebhookPath, Buffer.buffer(body), Fixtures.sign(body, SECOND_SECRET))
        : app.postSigned(body);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return app.one("SELECT c.contact_id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
        + "WHERE m.provider_message_id = $1", messageId).getUUID("contact_id");
  }

  private static UUID conversation(UUID contactId, boolean secondChannel) {
    return app.one("SELECT id FROM conversations WHERE contact_id = $1 AND channel_id "
        + (secondChannel ? "<>" : "=") + " $2", contactId, TestApp.CHANNEL_ID).getUUID("id");
  }

  private static List<String> systemMessages(UUID conversationId) {
    List<String> bodies = new ArrayList<>();
    app.sql("SELECT body FROM messages WHERE conversation_id = $1 AND direction = 'system' ORDER BY sent_at, id",
        conversationId).forEach(row -> bodies.add(row.getString("body")));
    return bodies;
  }

  @Test
  void createNormalisesTheNumberFillsTheCountryAndEmitsAnEvent() {
    JsonObject contact = create(new JsonObject().put("name", " Grace Hopper ").put("mobile_number", "+44 20 7946 0958")
        .put("email", "grace@example.com").put("date_of_birth", "1906-12-09").put("company_name", "Navy")
        .put("address", new JsonObject().put("city", "London"))
        .put("social_profiles", new JsonObject().put("twitter", "@grace"))
        .put("custom_attributes", new JsonObject().put("tier", "gold"))
        .put("labels", new JsonArray().add("vip").add(" lead ").add("vip")), agent);
    assertEquals("Grace Hopper", contact.getString("name"));
    assertEquals("+442079460958", contact.getString("mobile_number"));
    assertEquals("GB", contact.getJsonObject("address").getString("country"), "country from the number");
    assertEquals("London", contact.getJsonObject("address").getString("city"));
    assertNull(contact.getJsonObject("address").getString("street"));
    assertEquals("@grace", contact.getJsonObject("social_profiles").getString("twitter"));
    assertTrue(contact.getJsonObject("social_profiles").containsKey("linkedin"));
    assertEquals(new JsonObject().put("tier", "gold"), contact.getJsonObject("custom_attributes"));
    assertEquals("1906-12-09", contact.getString("date_of_birth"));
    assertEquals(agentId.toString(), contact.getString("owner_id"), "the creating user owns it");
    assertEquals("reactive", contact.getString("preference"));
    assertTrue(contact.getBoolean("active"));
    assertEquals(new JsonArray().add("vip").add("lead"), contact.getJsonArray("labels"));
    assertEquals(new JsonArray(), contact.getJsonArray("identities"));
    String id = contact.getString("id");
    OrgEvent created = app.awaitEvent(Duration.ofSeconds(5),
        e -> e.type().equals(OrgEvent.CONTACT_CREATED) && id.equals(e.data().getString("id")));
    assertEquals("+442079460958", created.data().getString("mobile_number"));

    var read = call(HttpMethod.GET, "/api/v1/contacts/" + id, null, service);
    assertEquals(200, read.statusCode());
    assertEquals(contact, read.bodyAsJsonObject());

    assertEquals("+442079460959", create(new JsonObject().put("mobile_number", "0044 20 7946 0959"), admin)
        .getString("mobile_number"), "00 is an international prefix too");
    JsonObject explicit = create(new JsonObject().put("name", "Canadian").put("mobile_number", "+1 650 555 0100")
        .put("address", new JsonObject().put("country", "CA")), admin);
    assertEquals("CA", explicit.getJsonObject("address").getString("country"), "a given country is kept");
    assertEquals("DE", create(new JsonObject().put("name", "Lower").put("address", new JsonObject().put("country", "de")),
        admin).getJsonObject("address").getString("country"), "country codes are upper-cased");

    var national = call(HttpMethod.POST, "/api/v1/contacts", new JsonObject().put("mobile_number", "020 7946 0958"), admin);
    assertEquals(400, national.statusCode());
    assertEquals("phone_country_code_missing", errorCode(national));
    for (String invalid : new String[] {"+44 20", "+447700900123", "call me", "+999 1234 5678"}) {
      var refused = call(HttpMethod.POST, "/api/v1/contacts", new JsonObject().put("mobile_number", invalid), admin);
      assertEquals(400, refused.statusCode(), invalid);
      assertEquals("invalid_phone_number", errorCode(refused), invalid);
    }
    var duplicate = call(HttpMethod.POST, "/api/v1/contacts", new JsonObject().put("name", "Again")
        .put("mobile_number", "+442079460958"), admin);
    assertEquals(409, duplicate.statusCode());
    assertEquals("contact_exists", errorCode(duplicate));
    assertEquals(1L, app.one("SELECT count(*) AS n FROM contacts WHERE mobile_number = '+442079460958'").getLong("n"));
    // the same number is free in another organization
    assertEquals(201, call(HttpMethod.POST, "/api/v1/contacts", new JsonObject().put("mobile_number", "+442079460958"),
        otherAdmin).statusCode());
  }

  @Test
  void everyFieldIsValidated() {
    JsonObject[] bad = {
        new JsonObject(),
        new JsonObject().put("name", "A").put("nickname", "a"),
        new JsonObject().put("name", "A").put("id", UUID.randomUUID().toString()),
        new JsonObject().put("name", 42),
        new JsonObject().put("name", "x".repeat(201)),
        new JsonObject().put("email", "not-an-address"),
        new JsonObject().put("name", "A").put("date_of_birth", "1990-13-01"),
        new JsonObject().put("name", "A").put("date_of_birth", "17/05/1990"),
        new JsonObject().put("name", "A").put("date_of_birth", LocalDate.now().plusDays(1).toString()),
        new JsonObject().put("name", "A").put("address", "London"),
        new JsonObject().put("name", "A").put("address", new JsonObject().put("planet", "Mars")),
        new JsonObject().put("name", "A").put("address", new JsonObject().put("country", "XX")),
        new JsonObject().put("name", "A").put("address", new JsonObject().put("country", "GBR")),
        new JsonObject().put("name", "A").put("address", new JsonObject().put("zip", 12345)),
        new JsonObject().put("name", "A").put("social_profiles", new JsonObject().put("tiktok", "@a")),
        new JsonObject().put("name", "A").put("social_profiles", new JsonObject().put("twitter", true)),
        new JsonObject().put("name", "A").put("custom_attributes", new JsonObject().put("tier", 1)),
        new JsonObject().put("name", "A").put("custom_attributes", "gold"),
        new JsonObject().put("name", "A").put("labels", "vip"),
        new JsonObject().put("name", "A").put("labels", new JsonArray().add(" ")),
        new JsonObject().put("name", "A").put("labels", new JsonArray().add("x".repeat(51))),
        new JsonObject().put("name", "A").put("preference", "sometimes"),
        new JsonObject().put("name", "A").put("active", "yes"),
        new JsonObject().put("name", "A").put("owner_id", "not-a-user"),
        new JsonObject().put("name", "A").put("mobile_number", 4420794609L)};
    for (JsonObject body : bad) {
      var refused = call(HttpMethod.POST, "/api/v1/contacts", body, admin);
      assertEquals(400, refused.statusCode(), body.encode());
      assertEquals("invalid_request", errorCode(refused), body.encode());
    }
    String id = create(new JsonObject().put("name", "Valid"), admin).getString("id");
    for (JsonObject body : bad) {
      if (!body.isEmpty()) {
        assertEquals(400, call(HttpMethod.PATCH, "/api/v1/contacts/" + id, body, admin).statusCode(), body.encode());
      }
    }
    assertEquals("phone_country_code_missing", errorCode(call(HttpMethod.PATCH, "/api/v1/contacts/" + id,
        new JsonObject().put("mobile_number", "07946 0958 12"), admin)));
    assertEquals("Valid", call(HttpMethod.GET, "/api/v1/contacts/" + id, null, admin).bodyAsJsonObject().getString("name"));
  }

  @Test
  void ownersAreTheCreatorOrWhomAdminsAndServicesName() {
    var agentNamesAdmin = call(HttpMethod.POST, "/api/v1/contacts",
        new JsonObject().put("name", "Mine?").put("owner_id", adminId.toString()), agent);
    assertEquals(403, agentNamesAdmin.statusCode());
    assertEquals("forbidden", errorCode(agentNamesAdmin));
    assertEquals(agentId.toString(), create(new JsonObject().put("name", "Self").put("owner_id", agentId.toString()), agent)
        .getString("owner_id"));
    assertEquals(adminId.toString(), create(new JsonObject().put("name", "By admin"), admin).getString("owner_id"));
    assertEquals(agentId.toString(), create(new JsonObject().put("name", "Given").put("owner_id", agentId.toString()), admin)
        .getString("owner_id"));
    assertNull(create(new JsonObject().put("name", "By service"), service).getValue("owner_id"),
        "a service creates unowned contacts unless it names an owner");
    assertEquals(agentId.toString(), create(new JsonObject().put("name", "Synced").put("owner_id", agentId.toString()),
        service).getString("owner_id"));

    UUID inactive = app.createUser(app.organizationId(), "gone@parley.local", "Gone", "agent", "gone-password");
    app.sql("UPDATE users SET active = false WHERE id = $1", inactive);
    UUID foreign = app.one("SELECT id FROM users WHERE email = 'admin@elsewhere.example'").getUUID("id");
    for (UUID owner : new UUID[] {UUID.randomUUID(), inactive, foreign}) {
      var refused = call(HttpMethod.POST, "/api/v1/contacts",
          new JsonObject().put("name", "Bad owner").put("owner_id", owner.toString()), admin);
      assertEquals(400, refused.statusCode());
      assertEquals("invalid_owner", errorCode(refused));
    }

    // agents edit any contact but hand over only their own or unowned ones
    String adminsContact = create(new JsonObject().put("name", "Admin's"), admin).getString("id");
    assertEquals("Renamed", patch(adminsContact, new JsonObject().put("name", "Renamed"), agent).getString("name"));
    var notOwner = call(HttpMethod.PATCH, "/api/v1/contacts/" + adminsContact,
        new JsonObject().put("owner_id", agentId.toString()), agent);
    assertEquals(403, notOwner.statusCode());
    assertEquals("not_owner", errorCode(notOwner));
    assertEquals(403, call(HttpMethod.PATCH, "/api/v1/contacts/" + adminsContact, new JsonObject().putNull("owner_id"), agent)
        .statusCode());
    assertEquals(200, call(HttpMethod.PATCH, "/api/v1/contacts/" + adminsContact,
        new JsonObject().put("owner_id", adminId.toString()).put("company_name", "Same owner"), agent).statusCode(),
        "restating the current owner is no change");
    String unowned = create(new JsonObject().put("name", "Unowned"), service).getString("id");
    assertEquals(agentId.toString(), patch(unowned, new JsonObject().put("owner_id", agentId.toString()), agent)
        .getString("owner_id"), "an agent may take an unowned contact");
    assertEquals(adminId.toString(), patch(unowned, new JsonObject().put("owner_id", adminId.toString()), agent)
        .getString("owner_id"), "and hand their own over");
    assertEquals(agentId.toString(), patch(adminsContact, new JsonObject().put("owner_id", agentId.toString()), admin)
        .getString("owner_id"));
    assertNull(patch(adminsContact, new JsonObject().putNull("owner_id"), service).getValue("owner_id"));
    assertEquals("invalid_owner", errorCode(call(HttpMethod.PATCH, "/api/v1/contacts/" + adminsContact,
        new JsonObject().put("owner_id", inactive.toString()), admin)));
  }

  @Test
  void updatesReplaceClearAndMergeFieldsAndRefillTheCountry() {
    JsonObject contact = create(new JsonObject().put("name", "Mover").put("mobile_number", "+44 20 7946 0100")
        .put("email", "mover@example.com").put("company_name", "Old Co")
        .put("address", new JsonObject().put("city", "London").put("street", "1 High St"))
        .put("custom_attributes", new JsonObject().put("tier", "gold").put("region", "EU")), admin);
    String id = contact.getString("id");
    JsonObject moved = patch(id, new JsonObject().put("mobile_number", "+33 6 12 34 56 78"), admin);
    assertEquals("+33612345678", moved.getString("mobile_number"));
    assertEquals("FR", moved.getJsonObject("address").getString("country"), "a new number brings its country");
    assertEquals("London", moved.getJsonObject("address").getString("city"));

    JsonObject explicit = patch(id, new JsonObject().put("mobile_number", "+49 151 12345678")
        .put("address", new JsonObject().put("country", "AT").putNull("street")), admin);
    assertEquals("AT", explicit.getJsonObject("address").getString("country"), "a country given in the update wins");
    assertNull(explicit.getJsonObject("address").getString("street"), "null removes one address key");
    assertEquals("London", explicit.getJsonObject("address").getString("city"), "other keys stay");
    assertEquals("AT", patch(id, new JsonObject().put("name", "Still AT"), admin).getJsonObject("address")
        .getString("country"), "an unchanged number leaves the country alone");

    JsonObject cleared = patch(id, new JsonObject().putNull("email").putNull("company_name").putNull("address")
        .put("custom_attributes", new JsonObject().putNull("region").put("since", "2020"))
        .put("preference", "proactive").put("active", false), admin);
    assertNull(cleared.getValue("email"));
    assertNull(cleared.getValue("company_name"));
    assertEquals("DE", cleared.getJsonObject("address").getString("country"),
        "a contact without a country gets the number's");
    assertNull(cleared.getJsonObject("address").getString("city"));
    assertEquals(new JsonObject().put("tier", "gold").put("since", "2020"), cleared.getJsonObject("custom_attributes"));
    assertEquals("proactive", cleared.getString("preference"));
    assertFalse(cleared.getBoolean("active"));

    String noNumber = create(new JsonObject().put("name", "No number"), admin).getString("id");
    assertNull(patch(noNumber, new JsonObject().put("company_name", "X"), admin).getJsonObject("address").getString("country"));
    assertEquals("US", patch(noNumber, new JsonObject().put("mobile_number", "+1 650 555 0111"), admin)
        .getJsonObject("address").getString("country"));
    var taken = call(HttpMethod.PATCH, "/api/v1/contacts/" + noNumber, new JsonObject().put("mobile_number", "+4915112345678"), admin);
    assertEquals(409, taken.statusCode(), "another contact has this number");
    assertEquals("contact_exists", errorCode(taken));
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_UPDATED)
        && id.equals(e.data().getString("id")) && "proactive".equals(e.data().getString("preference")));
  }

  @Test
  void aChangedNumberIsRecordedInTheContactsOpenConversationsOnly() {
    UUID contactId = inbound("14155550201", "Ada Customer", "wamid.number-1", false);
    assertEquals(contactId, inbound("14155550201", "Ada Customer", "wamid.number-2", true), "same number, same contact");
    UUID open = conversation(contactId, false);
    UUID closed = conversation(contactId, true);
    app.sql("UPDATE conversations SET status = 'closed' WHERE id = $1", closed);

    patch(contactId.toString(), new JsonObject().put("name", "Ada C."), admin);
    assertEquals(List.of(), systemMessages(open), "no number change, no system message");

    JsonObject changed = patch(contactId.toString(), new JsonObject().put("mobile_number", "+44 20 7946 0200"), admin);
    assertEquals("GB", changed.getJsonObject("address").getString("country"));
    String expected = "Phone number changed from +14155550201 to +442079460200 by " + adminName;
    assertEquals(List.of(expected), systemMessages(open));
    assertEquals(List.of(), systemMessages(closed), "closed conversations are left alone");
    Row message = app.one("SELECT content, sender_type FROM messages WHERE conversation_id = $1 AND direction = 'system'", open);
    assertEquals("contact.number_changed", message.getJsonObject("content").getString("event"));
    assertEquals("system", message.getString("sender_type"));
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.MESSAGE_CREATED)
        && expected.equals(e.data().getString("body")) && open.toString().equals(e.data().getString("conversation_id")));
    OrgEvent conversationEvent = app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONVERSATION_UPDATED)
        && open.toString().equals(e.data().getString("id"))
        && "+442079460200".equals(e.data().getJsonObject("contact").getString("mobile_number")));
    assertEquals(expected, conversationEvent.data().getJsonObject("last_message").getString("body"));
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_UPDATED)
        && contactId.toString().equals(e.data().getString("id"))
        && "+442079460200".equals(e.data().getString("mobile_number")));
  }

  @Test
  void listsPageNewestFirstAndFilter() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(create(new JsonObject().put("name", "Paged " + i).put("labels", new JsonArray().add("paged")), admin)
          .getString("id"));
    }
    List<String> seen = new ArrayList<>();
    String cursor = null;
    do {
      var page = call(HttpMethod.GET, "/api/v1/contacts?label=paged&limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          null, agent);
      assertEquals(200, page.statusCode(), page.bodyAsString());
      JsonArray data = page.bodyAsJsonObject().getJsonArray("data");
      assertTrue(data.size() <= 2);
      data.forEach(c -> seen.add(((JsonObject) c).getString("id")));
      cursor = page.bodyAsJsonObject().getString("next_cursor");
    } while (cursor != null);
    List<String> newestFirst = new ArrayList<>(created);
    Collections.reverse(newestFirst);
    assertEquals(newestFirst, seen, "newest first, each once");
    assertEquals("invalid_cursor", errorCode(call(HttpMethod.GET, "/api/v1/contacts?cursor=nonsense!", null, admin)));

    String grace = create(new JsonObject().put("name", "Filter Grace").put("email", "FILTER.g@example.com")
        .put("mobile_number", "+44 20 7946 0300").put("preference", "proactive"), agent).getString("id");
    String percent = create(new JsonObject().put("name", "100% filter_real"), admin).getString("id");
    create(new JsonObject().put("name", "1000 filterreal"), admin);
    assertEquals(Set.of(grace), ids("q=fILTER%20gRACE"));
    assertEquals(Set.of(grace), ids("q=filter.g%40example"));
    assertEquals(Set.of(grace), ids("q=7946%200300"));
    assertEquals(Set.of(grace), ids("q=%2B4420794603"));
    assertEquals(Set.of(percent), ids("q=0%25%20filter"), "% is taken literally");
    assertEquals(Set.of(percent), ids("q=filter_"), "_ is taken literally");
    assertTrue(ids("preference=proactive").contains(grace));
    assertFalse(ids("preference=reactive").contains(grace));
    assertTrue(ids("owner_id=me").contains(grace));
    assertFalse(ids("owner_id=me").contains(percent));
    assertTrue(ids("owner_id=" + adminId).contains(percent));
    patch(percent, new JsonObject().put("active", false), admin);
    assertTrue(ids("active=false").contains(percent));
    assertFalse(ids("active=true").contains(percent));
    assertEquals(400, call(HttpMethod.GET, "/api/v1/contacts?preference=sometimes", null, admin).statusCode());
    assertEquals(400, call(HttpMethod.GET, "/api/v1/contacts?owner_id=me", null, service).statusCode());
    assertEquals(400, call(HttpMethod.GET, "/api/v1/contacts?owner_id=nobody", null, admin).statusCode());
    assertEquals(400, call(HttpMethod.GET, "/api/v1/contacts?active=maybe", null, admin).statusCode());
  }

  private static Set<String> ids(String query) {
    var response = call(HttpMethod.GET, "/api/v1/contacts?limit=200&" + query, null, agent);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    Set<String> ids = new HashSet<>();
    response.bodyAsJsonObject().getJsonArray("data").forEach(c -> ids.add(((JsonObject) c).getString("id")));
    return ids;
  }

  @Test
  void labelsAreAddedAndRemovedIdempotently() {
    String id = create(new JsonObject().put("name", "Labelled").put("labels", new JsonArray().add("lead")), agent)
        .getString("id");
    var added = call(HttpMethod.POST, "/api/v1/contacts/" + id + "/labels",
        new JsonObject().put("labels", new JsonArray().add("vip").add("needs call").add("lead")), agent);
    assertEquals(200, added.statusCode(), added.bodyAsString());
    assertEquals(new JsonArray().add("lead").add("vip").add("needs call"), added.bodyAsJsonObject().getJsonArray("labels"));
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_UPDATED) && id.equals(e.data().getString("id"))
        && e.data().getJsonArray("labels").contains("vip"));

    var removed = call(HttpMethod.DELETE, "/api/v1/contacts/" + id + "/labels/needs%20call", null, agent);
    assertEquals(200, removed.statusCode(), removed.bodyAsString());
    assertEquals(new JsonArray().add("lead").add("vip"), removed.bodyAsJsonObject().getJsonArray("labels"));
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_UPDATED) && id.equals(e.data().getString("id"))
        && e.data().getJsonArray("labels").equals(new JsonArray().add("lead").add("vip")));
    long events = app.events(OrgEvent.CONTACT_UPDATED).stream().filter(e -> id.equals(e.data().getString("id"))).count();
    assertEquals(200, call(HttpMethod.DELETE, "/api/v1/contacts/" + id + "/labels/needs%20call", null, agent).statusCode(),
        "removing an absent label is fine");
    TestApp.sleep(200);
    assertEquals(events, app.events(OrgEvent.CONTACT_UPDATED).stream().filter(e -> id.equals(e.data().getString("id"))).count(),
        "and changes nothing");
    assertTrue(ids("label=vip").contains(id));

    for (JsonObject bad : new JsonObject[] {new JsonObject().put("labels", new JsonArray()),
        new JsonObject().put("labels", "vip"), new JsonObject().put("labels", new JsonArray().add("y".repeat(51))),
        new JsonObject().put("tags", new JsonArray().add("x"))}) {
      assertEquals(400, call(HttpMethod.POST, "/api/v1/contacts/" + id + "/labels", bad, agent).statusCode(), bad.encode());
    }
  }

  @Test
  void notesAreWrittenByUsersAndServicesAndListedNewestFirst() {
    String id = create(new JsonObject().put("name", "Noted"), agent).getString("id");
    var first = call(HttpMethod.POST, "/api/v1/contacts/" + id + "/notes", new JsonObject().put("body", "Prefers mornings"), agent);
    assertEquals(201, first.statusCode(), first.bodyAsString());
    assertEquals("user", first.bodyAsJsonObject().getString("author_type"));
    assertEquals(agentId.toString(), first.bodyAsJsonObject().getString("author_id"));
    assertEquals(id, first.bodyAsJsonObject().getString("contact_id"));
    var second = call(HttpMethod.POST, "/api/v1/contacts/" + id + "/notes", new JsonObject().put("body", "Synced from CRM"), service);
    assertEquals(201, second.statusCode());
    assertEquals("service", second.bodyAsJsonObject().getString("author_type"));
    assertEquals(serviceKeyId.toString(), second.bodyAsJsonObject().getString("author_id"));

    var page = call(HttpMethod.GET, "/api/v1/contacts/" + id + "/notes?limit=1", null, admin).bodyAsJsonObject();
    assertEquals("Synced from CRM", page.getJsonArray("data").getJsonObject(0).getString("body"));
    var next = call(HttpMethod.GET, "/api/v1/contacts/" + id + "/notes?limit=1&cursor=" + page.getString("next_cursor"), null, admin)
        .bodyAsJsonObject();
    assertEquals("Prefers mornings", next.getJsonArray("data").getJsonObject(0).getString("body"));
    assertNull(next.getValue("next_cursor"));

    assertEquals(201, call(HttpMethod.POST, "/api/v1/contacts/" + id + "/notes",
        new JsonObject().put("body", "n".repeat(10_000)), agent).statusCode());
    assertEquals(400, call(HttpMethod.POST, "/api/v1/contacts/" + id + "/notes",
        new JsonObject().put("body", "n".repeat(10_001)), agent).statusCode());
    assertEquals(400, call(HttpMethod.POST, "/api/v1/contacts/" + id + "/notes", new JsonObject().put("body", " "), agent)
        .statusCode());
    assertEquals(0L, app.one("SELECT count(*) AS n FROM messages WHERE body = 'Prefers mornings'").getLong("n"),
        "notes never become messages");
  }

  @Test
  void onlyAdminsAndServicesDeleteAndOnlyContactsWithoutConversations() {
    String id = create(new JsonObject().put("name", "Disposable"), agent).getString("id");
    call(HttpMethod.POST, "/api/v1/contacts/" + id + "/notes", new JsonObject().put("body", "bye"), agent);
    var byAgent = call(HttpMethod.DELETE, "/api/v1/contacts/" + id, null, agent);
    assertEquals(403, byAgent.statusCode());
    assertEquals("forbidden", errorCode(byAgent));
    assertEquals(204, call(HttpMethod.DELETE, "/api/v1/contacts/" + id, null, admin).statusCode());
    assertEquals(404, call(HttpMethod.GET, "/api/v1/contacts/" + id, null, admin).statusCode());
    assertEquals(404, call(HttpMethod.DELETE, "/api/v1/contacts/" + id, null, admin).statusCode());
    OrgEvent deleted = app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_UPDATED)
        && id.equals(e.data().getString("id")) && e.data().getBoolean("deleted", false));
    assertFalse(deleted.data().getBoolean("active"));

    UUID talking = inbound("14155550401", "Talking", "wamid.delete-1", false);
    var refused = call(HttpMethod.DELETE, "/api/v1/contacts/" + talking, null, service);
    assertEquals(409, refused.statusCode());
    assertEquals("contact_has_conversations", errorCode(refused));
    assertEquals(1L, app.one("SELECT count(*) AS n FROM contacts WHERE id = $1", talking).getLong("n"));
    assertEquals(204, call(HttpMethod.DELETE, "/api/v1/contacts/" + create(new JsonObject().put("name", "Via key"), service)
        .getString("id"), null, service).statusCode());
  }

  @Test
  void mergeFoldsEverythingIntoTheKeptContact() {
    UUID kept = inbound("14155550301", "Kept Person", "wamid.merge-1", false);
    UUID merged = inbound("14155550302", "Other Person", "wamid.merge-2", false);
    assertEquals(merged, inbound("14155550302", "Other Person", "wamid.merge-3", true));
    UUID keptOpen = conversation(kept, false);
    UUID clashing = conversation(merged, false);
    UUID mergedSecond = conversation(merged, true);
    patch(kept.toString(), new JsonObject().put("labels", new JsonArray().add("k1"))
        .put("custom_attributes", new JsonObject().put("tier", "silver")), admin);
    patch(merged.toString(), new JsonObject().put("email", "other@example.com").put("labels", new JsonArray().add("m1").add("k1"))
        .put("custom_attributes", new JsonObject().put("tier", "gold").put("region", "EU")), admin);
    call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/notes", new JsonObject().put("body", "kept note"), agent);
    call(HttpMethod.POST, "/api/v1/contacts/" + merged + "/notes", new JsonObject().put("body", "merged note"), agent);

    var agentRefused = call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/merge",
        new JsonObject().put("merge_contact_id", merged.toString()), agent);
    assertEquals(403, agentRefused.statusCode());
    assertEquals("forbidden", errorCode(agentRefused));
    assertEquals(400, call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/merge",
        new JsonObject().put("merge_contact_id", kept.toString()), admin).statusCode(), "not into itself");
    assertEquals(400, call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/merge",
        new JsonObject().put("merge_contact_id", "nope"), admin).statusCode());
    assertEquals(404, call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/merge",
        new JsonObject().put("merge_contact_id", UUID.randomUUID().toString()), admin).statusCode());

    var response = call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/merge",
        new JsonObject().put("merge_contact_id", merged.toString()), admin);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject contact = response.bodyAsJsonObject().getJsonObject("contact");
    assertEquals("Kept Person", contact.getString("name"), "the kept contact's own values stay");
    assertEquals("+14155550301", contact.getString("mobile_number"));
    assertEquals("other@example.com", contact.getString("email"), "empty fields are filled from the merged one");
    assertEquals(new JsonArray().add("k1").add("m1"), contact.getJsonArray("labels"));
    assertEquals(new JsonObject().put("tier", "silver").put("region", "EU"), contact.getJsonObject("custom_attributes"));
    assertEquals(3, contact.getJsonArray("identities").size());

    assertEquals(404, call(HttpMethod.GET, "/api/v1/contacts/" + merged, null, admin).statusCode());
    assertEquals(0L, app.one("SELECT count(*) AS n FROM contacts WHERE id = $1", merged).getLong("n"));
    assertEquals(3L, app.one("SELECT count(*) AS n FROM conversations WHERE contact_id = $1", kept).getLong("n"));
    assertEquals("open", app.one("SELECT status FROM conversations WHERE id = $1", keptOpen).getString("status"));
    assertEquals("closed", app.one("SELECT status FROM conversations WHERE id = $1", clashing).getString("status"),
        "of two open conversations on one channel the merged contact's is closed");
    assertEquals("open", app.one("SELECT status FROM conversations WHERE id = $1", mergedSecond).getString("status"));
    assertEquals(2L, app.one("SELECT count(*) AS n FROM notes WHERE contact_id = $1", kept).getLong("n"));

    String note = "Contact Other Person merged into this contact by " + adminName;
    assertEquals(List.of(note), systemMessages(keptOpen));
    assertEquals(List.of(note), systemMessages(mergedSecond));
    List<String> closedMessages = systemMessages(clashing);
    assertEquals(1, closedMessages.size());
    assertTrue(closedMessages.get(0).startsWith("Conversation closed: contact Other Person was merged into Kept Person"),
        closedMessages.get(0));

    JsonObject merge = response.bodyAsJsonObject().getJsonObject("merge");
    assertEquals(new JsonObject().put("identities", 2).put("notes", 1).put("conversations", 2)
        .put("conversations_closed", 1).put("labels", 1), merge.getJsonObject("moved"));
    assertEquals("Other Person", merge.getJsonObject("merged_contact").getString("name"));
    assertEquals(2, merge.getJsonObject("merged_contact").getJsonArray("identities").size());
    assertEquals(adminId.toString(), merge.getString("merged_by"));
    Row audit = app.one("SELECT * FROM contact_merges WHERE merged_contact_id = $1", merged);
    assertEquals(kept, audit.getUUID("kept_contact_id"));
    assertEquals("user", audit.getString("merged_by_type"));
    var listed = call(HttpMethod.GET, "/api/v1/contacts/" + kept + "/merges", null, agent).bodyAsJsonObject();
    assertEquals(merge, listed.getJsonArray("data").getJsonObject(0));

    OrgEvent event = app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONTACT_MERGED)
        && merged.toString().equals(e.data().getString("merged_contact_id")));
    assertEquals(kept.toString(), event.data().getJsonObject("contact").getString("id"));
    assertEquals(app.organizationId(), event.organizationId());
    app.awaitEvent(Duration.ofSeconds(5), e -> e.type().equals(OrgEvent.CONVERSATION_UPDATED)
        && clashing.toString().equals(e.data().getString("id")) && "closed".equals(e.data().getString("status"))
        && kept.toString().equals(e.data().getString("contact_id")));

    // the merged-away identity now belongs to the kept contact: a later message lands there
    assertEquals(kept, inbound("14155550302", "Other Person", "wamid.merge-4", false));
    assertEquals(keptOpen, app.one("SELECT conversation_id FROM messages WHERE provider_message_id = 'wamid.merge-4'")
        .getUUID("conversation_id"), "into the kept contact's open conversation on that channel");
    assertEquals(0L, app.one("SELECT count(*) AS n FROM contacts WHERE mobile_number = '+14155550302'").getLong("n"),
        "no new contact for the old identity");
  }

  @Test
  void aKeptContactWithoutANumberTakesTheMergedOne() {
    String kept = create(new JsonObject().put("name", "No Number Yet").put("address", new JsonObject().put("city", "Leeds")),
        admin).getString("id");
    String merged = create(new JsonObject().put("mobile_number", "+44 20 7946 0500").put("company_name", "Acme"), admin)
        .getString("id");
    var response = call(HttpMethod.POST, "/api/v1/contacts/" + kept + "/merge",
        new JsonObject().put("merge_contact_id", merged), service);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject contact = response.bodyAsJsonObject().getJsonObject("contact");
    assertEquals("+442079460500", contact.getString("mobile_number"), "the unique number moves with the merge");
    assertEquals("GB", contact.getJsonObject("address").getString("country"));
    assertEquals("Leeds", contact.getJsonObject("address").getString("city"));
    assertEquals("Acme", contact.getString("company_name"));
    assertEquals("service", app.one("SELECT merged_by_type FROM contact_merges WHERE merged_contact_id = $1::uuid", merged)
        .getString("merged_by_type"));
    assertEquals(serviceKeyId.toString(), response.bodyAsJsonObject().getJsonObject("merge").getString("merged_by"));

    // a second merge into a contact that was itself merged keeps the earlier audit record
    String third = create(new JsonObject().put("name", "Third"), admin).getString("id");
    assertEquals(200, call(HttpMethod.POST, "/api/v1/contacts/" + third + "/merge",
        new JsonObject().put("merge_contact_id", kept), admin).statusCode());
    assertEquals(2, call(HttpMethod.GET, "/api/v1/contacts/" + third + "/merges", null, admin).bodyAsJsonObject()
        .getJsonArray("data").size());
  }

  @Test
  void everyEndpointHidesOtherOrganizationsContacts() {
    String ours = create(new JsonObject().put("name", "Private").put("labels", new JsonArray().add("secret")), admin)
        .getString("id");
    String theirs = create(new JsonObject().put("name", "Theirs"), otherAdmin).getString("id");
    String base = "/api/v1/contacts/" + ours;
    List<HttpResponse<Buffer>> answers = List.of(
        call(HttpMethod.GET, base, null, otherAdmin),
        call(HttpMethod.PATCH, base, new JsonObject().put("name", "Hijacked"), otherAdmin),
        call(HttpMethod.DELETE, base, null, otherAdmin),
        call(HttpMethod.POST, base + "/labels", new JsonObject().put("labels", new JsonArray().add("x")), otherAdmin),
        call(HttpMethod.DELETE, base + "/labels/secret", null, otherAdmin),
        call(HttpMethod.GET, base + "/notes", null, otherAdmin),
        call(HttpMethod.POST, base + "/notes", new JsonObject().put("body", "spy"), otherAdmin),
        call(HttpMethod.GET, base + "/merges", null, otherAdmin),
        call(HttpMethod.POST, base + "/merge", new JsonObject().put("merge_contact_id", theirs), otherAdmin),
        call(HttpMethod.POST, "/api/v1/contacts/" + theirs + "/merge", new JsonObject().put("merge_contact_id", ours), otherAdmin),
        call(HttpMethod.POST, base + "/merge", new JsonObject().put("merge_contact_id", theirs), admin),
        call(HttpMethod.GET, "/api/v1/contacts/not-a-uuid", null, admin),
        call(HttpMethod.PATCH, "/api/v1/contacts/" + UUID.randomUUID(), new JsonObject().put("name", "x"), admin));
    for (var answer : answers) {
      assertEquals(404, answer.statusCode(), answer.bodyAsString());
      assertEquals("not_found", errorCode(answer));
    }
    JsonObject still = call(HttpMethod.GET, base, null, admin).bodyAsJsonObject();
    assertEquals("Private", still.getString("name"));
    assertEquals(new JsonArray().add("secret"), still.getJsonArray("labels"));
    assertEquals(0L, app.one("SELECT count(*) AS n FROM notes WHERE contact_id = $1::uuid", ours).getLong("n"));
    assertEquals(1L, app.one("SELECT count(*) AS n FROM contacts WHERE id = $1::uuid", theirs).getLong("n"));
    assertFalse(call(HttpMethod.GET, "/api/v1/contacts?limit=200", null, otherAdmin).bodyAsString().contains(ours));
    assertFalse(call(HttpMethod.GET, "/api/v1/contacts?q=Private", null, otherAdmin).bodyAsString().contains(ours));
    assertEquals(401, call(HttpMethod.GET, "/api/v1/contacts", null, null).statusCode());
  }
}

package dev.parley.http;

import dev.parley.testing.Fixtures;
import dev.parley.testing.TestApp;
import dev.parley.testing.WhatsAppPayloads;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.multipart.MultipartForm;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.imageio.ImageIO;

/**
 * One organization with one of everything, made the way clients make them (REST calls and signed webhooks; a template
 * and an outbound message are rows written with SQL, as no REST call makes them without a provider): a WhatsApp channel, an
 * admin, an agent, a spare agent, two API keys, contacts (one to merge away), a conversation with inbound and
 * outbound messages, labels, notes on the contact and the conversation, a canned response, a template, a scheduled
 * message and an uploaded file. Every text it writes carries {@link #marker}, so an answer that shows any of it
 * is easy to spot.
 */
final class Tenant {
  final TestApp app;
  final String marker;
  final UUID organization;
  final UUID channel;
  final String phoneNumberId;
  final String appSecret;
  final String customer;
  final String adminToken;
  final String agentToken;
  final String apiKey;
  final Map<String, String> ids = new LinkedHashMap<>();

  private Tenant(TestApp app, String marker, UUID organization, UUID channel, String phoneNumberId, String appSecret,
      String customer, String adminToken, String agentToken) {
    this.app = app;
    this.marker = marker;
    this.organization = organization;
    this.channel = channel;
    this.phoneNumberId = phoneNumberId;
    this.appSecret = appSecret;
    this.customer = customer;
    this.adminToken = adminToken;
    this.agentToken = agentToken;
    ids.put("organization", organization.toString());
    ids.put("channel", channel.toString());
    ids.put("admin", app.one("SELECT id FROM users WHERE organization_id = $1 AND role = 'admin' ORDER BY created_at LIMIT 1",
        organization).getUUID(0).toString());
    this.apiKey = apiKey("key");
  }

  /** The demo organization of {@code app} (its admin, agent and channel), filled. */
  static Tenant demo(TestApp app, String customer) {
    String marker = "Zq" + UUID.randomUUID().toString().substring(0, 8);
    Tenant tenant = new Tenant(app, marker, app.organizationId(), TestApp.CHANNEL_ID, TestApp.PHONE_NUMBER_ID,
        TestApp.APP_SECRET, customer, app.adminToken(), app.login("agent@parley.local", "parley-demo-agent"));
    tenant.fill();
    return tenant;
  }

  /** A new organization on {@code app}, with its own channel, admin and agent, filled. */
  static Tenant create(TestApp app, String phoneNumberId, String customer) {
    String marker = "Zq" + UUID.randomUUID().toString().substring(0, 8);
    UUID channel = UUID.randomUUID();
    String secret = "secret-" + marker;
    UUID organization = app.createOrganization("Org " + marker, channel, phoneNumberId, secret);
    String adminEmail = "admin-" + marker.toLowerCase() + "@example.test";
    String agentEmail = "agent-" + marker.toLowerCase() + "@example.test";
    app.createUser(organization, adminEmail, "Admin " + marker, "admin", "password-" + marker);
    app.createUser(organization, agentEmail, "Agent " + marker, "agent", "password-" + marker);
    Tenant tenant = new Tenant(app, marker, organization, channel, phoneNumberId, secret, customer,
        app.login(adminEmail, "password-" + marker), app.login(agentEmail, "password-" + marker));
    tenant.fill();
    return tenant;
  }

  private void fill() {
    ids.put("agent", app.one("SELECT id FROM users WHERE organization_id = $1 AND role = 'agent' ORDER BY created_at LIMIT 1",
        organization).getUUID(0).toString());
    ids.put("spare_user", created(call(HttpMethod.POST, "/api/v1/users", new JsonObject()
        .put("email", "spare-" + marker.toLowerCase() + "@example.test").put("name", "Spare " + marker)
        .put("password", "password-" + marker).put("role", "agent"), adminToken)));
    ids.put("api_key", app.one("SELECT id FROM api_keys WHERE organization_id = $1 ORDER BY created_at LIMIT 1",
        organization).getUUID(0).toString());
    apiKey("spare");
    ids.put("spare_api_key", app.one("SELECT id FROM api_keys WHERE organization_id = $1 AND name = $2",
        organization, "spare " + marker).getUUID(0).toString());
    ids.put("spare_channel", created(call(HttpMethod.POST, "/api/v1/channels", new JsonObject().put("provider", "whatsapp")
        .put("name", "Spare " + marker).put("external_id", String.valueOf(Math.abs((long) marker.hashCode()) + 100_000_000_000L))
        .put("credentials", new JsonObject().put("app_secret", "s-" + marker).put("verify_token", "v-" + marker)), adminToken)));

    Instant base = TestApp.now().minusSeconds(600);
    inbound(WhatsAppPayloads.messages(phoneNumberId, customer, "Customer " + marker,
        WhatsAppPayloads.textMessage(customer, "wamid." + marker + "-1", base, "Hello " + marker + " first")));
    inbound(WhatsAppPayloads.messages(phoneNumberId, customer, "Customer " + marker,
        WhatsAppPayloads.textMessage(customer, "wamid." + marker + "-2", base.plusSeconds(5), "Order " + marker + " second")));
    var conversation = app.one("SELECT id, contact_id FROM conversations WHERE channel_id = $1", channel);
    ids.put("conversation", conversation.getUUID("id").toString());
    ids.put("contact", conversation.getUUID("contact_id").toString());
    ids.put("message", app.one("SELECT id FROM messages WHERE provider_message_id = $1", "wamid." + marker + "-1")
        .getUUID(0).toString());
    UUID outbound = UUID.randomUUID();
    app.sql("INSERT INTO messages (id, organization_id, conversation_id, channel_id, direction, type, body, "
            + "provider_message_id, sender_type, status, sent_at) VALUES ($1, $2, $3, $4, 'outbound', 'text', $5, $6, "
            + "'agent', 'sent', $7)",
        outbound, organization, conversation.getUUID("id"), channel, "Reply " + marker + " outbound",
        "wamid." + marker + "-out", base.plusSeconds(10).atOffset(ZoneOffset.UTC));
    ids.put("outbound_message", outbound.toString());

    String conversationPath = "/api/v1/conversations/" + ids.get("conversation");
    expect(200, call(HttpMethod.POST, conversationPath + "/assign", new JsonObject().put("user_id", ids.get("agent")), adminToken));
    expect(200, call(HttpMethod.POST, conversationPath + "/labels", labels(), adminToken));
    ids.put("conversation_note", created(call(HttpMethod.POST, conversationPath + "/notes",
        new JsonObject().put("body", "Conversation note " + marker), adminToken)));

    ids.put("contact_manual", created(call(HttpMethod.POST, "/api/v1/contacts", new JsonObject().put("name", "Manual " + marker)
        .put("email", "manual-" + marker.toLowerCase() + "@example.test").put("company_name", "Company " + marker)
        .put("labels", new JsonArray().add("lbl-" + marker)), adminToken)));
    ids.put("contact_merge", created(call(HttpMethod.POST, "/api/v1/contacts", new JsonObject()
        .put("name", "Merge " + marker).put("email", "merge-" + marker.toLowerCase() + "@example.test"), adminToken)));
    ids.put("contact_merged", created(call(HttpMethod.POST, "/api/v1/contacts", new JsonObject()
        .put("name", "Merged " + marker).put("email", "merged-" + marker.toLowerCase() + "@example.test"), adminToken)));
    expect(200, call(HttpMethod.POST, "/api/v1/contacts/" + ids.get("contact_manual") + "/merge",
        new JsonObject().put("merge_contact_id", ids.get("contact_merged")), adminToken));
    expect(200, call(HttpMethod.POST, "/api/v1/contacts/" + ids.get("contact") + "/labels", labels(), adminToken));
    ids.put("contact_note", created(call(HttpMethod.POST, "/api/v1/contacts/" + ids.get("contact") + "/notes",
        new JsonObject().put("body", "Contact note " + marker), adminToken)));

    ids.put("canned_response", created(call(HttpMethod.POST, "/api/v1/canned_responses", new JsonObject()
        .put("short_code", "c" + marker.toLowerCase()).put("title", "Canned " + marker)
        .put("body", "Hi {{contact.first_name}}, canned " + marker), adminToken)));
    UUID template = UUID.randomUUID();
    app.sql("INSERT INTO templates (id, organization_id, channel_id, provider_template_id, name, language, category, "
            + "status, components, synced_at) VALUES ($1, $2, $3, $4, $5, 'en_US', 'UTILITY', 'APPROVED', $6, now())",
        template, organization, channel, "tpl" + Math.abs(marker.hashCode()), "tpl_" + marker.toLowerCase(),
        new JsonArray().add(new JsonObject().put("type", "BODY").put("text", "Template " + marker + " {{1}}")));
    ids.put("template", template.toString());
    ids.put("scheduled_message", created(call(HttpMethod.POST, conversationPath + "/scheduled_messages", new JsonObject()
        .put("message", new JsonObject().put("type", "text").put("text", new JsonObject().put("body", "Scheduled " + marker)))
        .put("send_at", Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString()), apiKey)));
    ids.put("media", created(upload(adminToken, marker + ".png", "image/png", png())));
  }

  private JsonObject labels() {
    return new JsonObject().put("labels", new JsonArray().add("lbl-" + marker));
  }

  private String apiKey(String name) {
    var created = call(HttpMethod.POST, "/api/v1/api_keys", new JsonObject().put("name", name + " " + marker), adminToken);
    expect(201, created);
    return created.bodyAsJsonObject().getString("key");
  }

  private void inbound(JsonObject payload) {
    String body = payload.encode();
    var response = app.post("/webhooks/whatsapp/" + channel, Buffer.buffer(body), Fixtures.sign(body, appSecret));
    expect(200, response);
  }

  HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body, String token) {
    return app.api(method, path, body, token);
  }

  /** Uploads a file to {@code /api/v1/media}. */
  HttpResponse<Buffer> upload(String token, String filename, String contentType, byte[] bytes) {
    var form = MultipartForm.create().binaryFileUpload("file", filename, Buffer.buffer(bytes), contentType);
    return app.http.request(HttpMethod.POST, app.parley.httpPort(), "127.0.0.1", "/api/v1/media").timeout(30_000)
        .putHeader("Authorization", "Bearer " + token).sendMultipartForm(form).await();
  }

  /** A real 2×2 PNG. */
  static byte[] png() {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), "png", out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String created(HttpResponse<Buffer> response) {
    if (response.statusCode() != 201 && response.statusCode() != 200) {
      throw new AssertionError("creating answered " + response.statusCode() + " " + response.bodyAsString());
    }
    return response.bodyAsJsonObject().getString("id");
  }

  private static void expect(int status, HttpResponse<Buffer> response) {
    if (response.statusCode() != status) {
      throw new AssertionError("expected " + status + ", got " + response.statusCode() + " " + response.bodyAsString());
    }
  }

  /** Every id of this organization's objects, and its marker: what no other organization may ever see. */
  List<String> secrets() {
    List<String> secrets = new ArrayList<>(ids.values());
    secrets.add(marker);
    secrets.add(marker.toLowerCase());
    secrets.add(customer);
    return secrets;
  }

  /** A real id of this organization for a body property or a query parameter called {@code name}, or null. */
  String idFor(String name) {
    return switch (name) {
      case "conversation_id" -> ids.get("conversation");
      case "contact_id" -> ids.get("contact");
      case "merge_contact_id" -> ids.get("contact_merge");
      case "user_id", "owner_id", "assignee" -> ids.get("spare_user");
      case "channel_id", "channel" -> ids.get("channel");
      case "media_id" -> ids.get("media");
      case "message_id", "reply_to" -> ids.get("message");
      case "organization_id" -> ids.get("organization");
      default -> null;
    };
  }

  /**
   * A real id of this organization for the path parameter {@code name} of {@code path} ({@code /contacts/{id}}:
   * a contact), named after the collection before it; null when the collection is not one this tenant has.
   */
  String pathValue(String path, String name) {
    if (name.equals("label")) {
      return "lbl-" + marker;
    }
    if (name.equals("channel")) {
      return ids.get("channel");
    }
    String[] parts = path.split("/");
    for (int i = 1; i < parts.length; i++) {
      if (parts[i].equals("{" + name + "}")) {
        return switch (parts[i - 1]) {
          case "api_keys" -> ids.get("spare_api_key");
          case "users" -> ids.get("spare_user");
          case "channels" -> ids.get("channel");
          case "contacts" -> ids.get("contact");
          case "media" -> ids.get("media");
          case "conversations" -> ids.get("conversation");
          case "messages" -> ids.get("outbound_message");
          case "templates" -> ids.get("template");
          case "canned_responses" -> ids.get("canned_response");
          case "scheduled_messages" -> ids.get("scheduled_message");
          default -> null;
        };
      }
    }
    return null;
  }
}

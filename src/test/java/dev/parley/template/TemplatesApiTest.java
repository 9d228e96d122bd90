package dev.parley.template;

import static dev.parley.testing.TestApp.errorCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parley.channel.Channel;
import dev.parley.http.ApiException;
import dev.parley.provider.ChannelSecrets;
import dev.parley.store.TemplateStore;
import dev.parley.testing.TestApp;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Templates over REST: the list and its filters, reading one, previews with positional, named, currency and date
 * parameters, the approved-only rule, every parameter error a send would get, {@link TemplateCatalog} inside a
 * transaction, roles and organizations. The templates are stored the way a sync stores them
 * ({@link TemplateSync#parse} and {@link TemplateStore#replace}); {@code TemplateSyncTest} covers the provider side.
 */
@Tag("e2e")
class TemplatesApiTest {
  private static final UUID OTHER_CHANNEL = UUID.randomUUID();
  /** A WhatsApp channel without an access token or WABA id: its templates are only what the tests store. */
  private static UUID ourChannel;
  /** The query that lists ourChannel's templates only. */
  private static String mine;
  private static TestApp app;
  private static String admin;
  private static String agent;
  private static String otherAdmin;
  private static UUID org;
  private static UUID otherOrg;

  @BeforeAll
  static void start() {
    app = TestApp.start(Map.of());
    admin = app.adminToken();
    agent = app.login("agent@parley.local", "parley-demo-agent");
    org = app.organizationId();
    var created = app.postJson("/api/v1/channels", new JsonObject().put("provider", "whatsapp").put("name", "Templates")
        .put("external_id", "700000000000007").put("credentials", new JsonObject().put("app_secret", "templates-secret")
            .put("verify_token", "templates-verify")), admin);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    ourChannel = UUID.fromString(created.bodyAsJsonObject().getString("id"));
    mine = "?channel_id=" + ourChannel;
    otherOrg = app.createOrganization("Elsewhere", OTHER_CHANNEL, "800000000000008", "elsewhere-secret");
    app.createUser(otherOrg, "admin@elsewhere.example", "Elsewhere Admin", "admin", "elsewhere-password");
    otherAdmin = app.login("admin@elsewhere.example", "elsewhere-password");
    store(org, ourChannel, new JsonArray()
        .add(orderUpdate("en_US", "APPROVED"))
        .add(template("order_update", "pt_BR", "APPROVED", "UTILITY", "POSITIONAL",
            component("BODY", "Olá {{1}}, seu pedido {{2}} foi enviado.")))
        .add(template("welcome_named", "en_US", "APPROVED", "MARKETING", "NAMED",
            new JsonObject().put("type", "HEADER").put("format", "IMAGE"),
            component("BODY", "Hello {{first_name}}, your code is {{code}}. Enjoy, {{first_name}}!"),
            buttons(new JsonObject().put("type", "COPY_CODE").put("text", "Copy code"))))
        .add(template("spring_sale", "en_US", "PAUSED", "MARKETING", "POSITIONAL", component("BODY", "Sale {{1}}")))
        .add(template("account_alert", "en_US", "REJECTED", "UTILITY", "POSITIONAL", component("BODY", "Alert")))
        .add(template("holiday_carousel", "en_US", "APPROVED", "MARKETING", "POSITIONAL",
            component("BODY", "Our picks"), new JsonObject().put("type", "CAROUSEL").put("cards", new JsonArray())))
        .add(template("plain_notice", "en_US", "APPROVED", "UTILITY", null,
            component("BODY", "We are closed today."), component("FOOTER", "Parley Shop"))));
    store(otherOrg, OTHER_CHANNEL, new JsonArray().add(orderUpdate("en_US", "APPROVED"))
        .add(template("elsewhere_only", "en_US", "APPROVED", "UTILITY", "POSITIONAL", component("BODY", "Hi"))));
  }

  @AfterAll
  static void stop() {
    app.close();
  }

  /** Stores a channel's templates exactly as a sync does after fetching {@code listed} from the provider. */
  static TemplateStore.SyncCounts store(UUID organization, UUID channel, JsonArray listed) {
    var parsed = TemplateSync.parse(new Channel(channel, organization, "whatsapp", "test", "test", true,
        new ChannelSecrets(new JsonObject())), listed);
    return app.parley.pool().withTransaction(tx -> new TemplateStore().replace(tx, organization, channel, parsed)).await();
  }

  static JsonObject template(String name, String language, String status, String category, String format,
      JsonObject... components) {
    JsonObject template = new JsonObject().put("id", String.valueOf(Math.abs(name.hashCode()))).put("name", name)
        .put("language", language).put("status", status).put("category", category)
        .put("components", new JsonArray(new ArrayList<>(List.of((Object[]) components))));
    return format == null ? template : template.put("parameter_format", format);
  }

  static JsonObject component(String type, String text) {
    return new JsonObject().put("type", type).put("text", text);
  }

  static JsonObject buttons(JsonObject... buttons) {
    return new JsonObject().put("type", "BUTTONS").put("buttons", new JsonArray(new ArrayList<>(List.of((Object[]) buttons))));
  }

  /** Text header, four body parameters, a footer, and a tracking URL, a quick reply and a phone button. */
  static JsonObject orderUpdate(String language, String status) {
    return template("order_update", language, status, "UTILITY", "POSITIONAL",
        new JsonObject().put("type", "HEADER").put("format", "TEXT").put("text", "Order {{1}}"),
        component("BODY", "Hi {{1}}, your order {{2}} ships on {{3}}. Total: {{4}}."),
        component("FOOTER", "Thanks for shopping"),
        buttons(new JsonObject().put("type", "URL").put("text", "Track").put("url", "https://shop.example/track/{{1}}"),
            new JsonObject().put("type", "QUICK_REPLY").put("text", "Stop updates"),
            new JsonObject().put("type", "PHONE_NUMBER").put("text", "Call us").put("phone_number", "+15550001111")));
  }

  static JsonObject text(String value) {
    return new JsonObject().put("type", "text").put("text", value);
  }

  static JsonObject named(String name, String value) {
    return text(value).put("parameter_name", name);
  }

  static JsonObject part(String type, JsonObject... parameters) {
    return new JsonObject().put("type", type).put("parameters", new JsonArray(new ArrayList<>(List.of((Object[]) parameters))));
  }

  static JsonObject button(String subType, Object index, JsonObject... parameters) {
    return part("button", parameters).put("sub_type", subType).put("index", index);
  }

  /** A complete, valid send of order_update (en_US). */
  static JsonObject orderSend() {
    return new JsonObject().put("name", "order_update").put("language", new JsonObject().put("code", "en_US"))
        .put("components", new JsonArray()
            .add(part("header", text("#1042")))
            .add(part("body", text("Ana"), text("#1042"),
                new JsonObject().put("type", "date_time").put("date_time", new JsonObject().put("fallback_value", "May 5")),
                new JsonObject().put("type", "currency").put("currency", new JsonObject()
                    .put("fallback_value", "$12.50").put("code", "USD").put("amount_1000", 12500))))
            .add(button("url", "0", text("1042")))
            .add(button("quick_reply", 1, new JsonObject().put("type", "payload").put("payload", "STOP"))));
  }

  /** A complete, valid send of welcome_named, its body parameters in another order than the text's. */
  static JsonObject welcomeSend() {
    return new JsonObject().put("name", "welcome_named").put("language", new JsonObject().put("code", "en_US"))
        .put("components", new JsonArray()
            .add(part("header", new JsonObject().put("type", "image")
                .put("image", new JsonObject().put("link", "https://cdn.example/welcome.jpg"))))
            .add(part("body", named("code", "SPRING25"), named("first_name", "Ana")))
            .add(button("copy_code", "0", new JsonObject().put("type", "coupon_code").put("coupon_code", "SPRING25"))));
  }

  private static HttpResponse<Buffer> preview(UUID channel, JsonObject template, String token) {
    return app.postJson("/api/v1/templates/preview",
        new JsonObject().put("channel_id", channel.toString()).put("template", template), token);
  }

  private static JsonObject list(String query, String token) {
    var response = app.api(HttpMethod.GET, "/api/v1/templates" + query, null, token);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject();
  }

  private static List<String> keys(JsonObject page) {
    List<String> keys = new ArrayList<>();
    page.getJsonArray("data").forEach(t -> keys.add(((JsonObject) t).getString("name") + "/"
        + ((JsonObject) t).getString("language")));
    return keys;
  }

  @Test
  void listIsAlphabeticalPagedAndFiltered() {
    List<String> all = List.of("account_alert/en_US", "holiday_carousel/en_US", "order_update/en_US",
        "order_update/pt_BR", "plain_notice/en_US", "spring_sale/en_US", "welcome_named/en_US");
    assertEquals(all, keys(list(mine, agent)), "agents see every template of the organization");
    assertTrue(keys(list("", agent)).containsAll(all));
    assertFalse(keys(list("", agent)).contains("elsewhere_only/en_US"));
    List<String> paged = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = list(mine + "&limit=3" + (cursor == null ? "" : "&cursor=" + cursor), admin);
      assertTrue(page.getJsonArray("data").size() <= 3);
      paged.addAll(keys(page));
      cursor = page.getString("next_cursor");
    } while (cursor != null);
    assertEquals(all, paged, "each once, in order");

    assertEquals(List.of("holiday_carousel/en_US", "order_update/en_US", "order_update/pt_BR", "plain_notice/en_US",
        "welcome_named/en_US"), keys(list(mine + "&status=approved", admin)));
    assertEquals(List.of("spring_sale/en_US"), keys(list(mine + "&status=PAUSED", admin)));
    assertEquals(List.of("order_update/en_US", "order_update/pt_BR"), keys(list(mine + "&name=order_update", admin)));
    assertEquals(List.of("order_update/pt_BR"), keys(list(mine + "&language=pt_BR", admin)));
    assertEquals(List.of("order_update/en_US", "order_update/pt_BR"), keys(list(mine + "&q=DER_up", admin)));
    assertEquals(List.of(), keys(list("?channel_id=" + OTHER_CHANNEL, admin)), "another organization's channel");
    assertEquals(List.of("elsewhere_only/en_US", "order_update/en_US"), keys(list("", otherAdmin)));

    assertEquals("invalid_cursor", errorCode(app.api(HttpMethod.GET, "/api/v1/templates?cursor=nonsense!", null, admin)));
    assertEquals(400, app.api(HttpMethod.GET, "/api/v1/templates?status=not%20a%20status", null, admin).statusCode());
    assertEquals(400, app.api(HttpMethod.GET, "/api/v1/templates?channel_id=nope", null, admin).statusCode());
    assertEquals(401, app.api(HttpMethod.GET, "/api/v1/templates", null, null).statusCode());
  }

  @Test
  void aTemplateSaysWhatASendFillsIn() {
    JsonObject order = list(mine + "&name=order_update&language=en_US", agent).getJsonArray("data").getJsonObject(0);
    var read = app.api(HttpMethod.GET, "/api/v1/templates/" + order.getString("id"), null, agent);
    assertEquals(200, read.statusCode(), read.bodyAsString());
    JsonObject template = read.bodyAsJsonObject();
    assertEquals(order, template);
    assertEquals(ourChannel.toString(), template.getString("channel_id"));
    assertEquals("UTILITY", template.getString("category"));
    assertEquals("APPROVED", template.getString("status"));
    assertEquals("POSITIONAL", template.getString("parameter_format"));
    assertEquals(String.valueOf(Math.abs("order_update".hashCode())), template.getString("provider_template_id"));
    assertEquals(4, template.getJsonArray("components").size());
    assertTrue(template.getString("synced_at") != null);
    assertEquals(new JsonArray()
        .add(new JsonObject().put("component", "header").put("type", "text").put("name", "1"))
        .add(new JsonObject().put("component", "body").put("type", "text").put("name", "1"))
        .add(new JsonObject().put("component", "body").put("type", "text").put("name", "2"))
        .add(new JsonObject().put("component", "body").put("type", "text").put("name", "3"))
        .add(new JsonObject().put("component", "body").put("type", "text").put("name", "4"))
        .add(new JsonObject().put("component", "button").put("index", 0).put("sub_type", "url").put("type", "text")
            .put("required", true))
        .add(new JsonObject().put("component", "button").put("index", 1).put("sub_type", "quick_reply")
            .put("type", "payload").put("required", false)),
        template.getJsonArray("parameters"));

    JsonObject welcome = list(mine + "&name=welcome_named", agent).getJsonArray("data").getJsonObject(0);
    assertEquals(new JsonArray()
        .add(new JsonObject().put("component", "header").put("type", "image"))
        .add(new JsonObject().put("component", "body").put("type", "text").put("name", "first_name"))
        .add(new JsonObject().put("component", "body").put("type", "text").put("name", "code"))
        .add(new JsonObject().put("component", "button").put("index", 0).put("sub_type", "copy_code")
            .put("type", "coupon_code").put("required", true)),
        welcome.getJsonArray("parameters"));
    JsonObject plain = list(mine + "&name=plain_notice", agent).getJsonArray("data").getJsonObject(0);
    assertEquals("POSITIONAL", plain.getString("parameter_format"), "inferred when the provider does not say");
    assertEquals(new JsonArray(), plain.getJsonArray("parameters"));

    assertEquals("not_found", errorCode(app.api(HttpMethod.GET, "/api/v1/templates/" + order.getString("id"), null,
        otherAdmin)));
    assertEquals(404, app.api(HttpMethod.GET, "/api/v1/templates/" + UUID.randomUUID(), null, admin).statusCode());
    assertEquals(404, app.api(HttpMethod.GET, "/api/v1/templates/not-an-id", null, admin).statusCode());
  }

  @Test
  void previewFillsPositionalParametersCurrencyAndDates() {
    var response = preview(ourChannel, orderSend(), agent);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject rendered = response.bodyAsJsonObject();
    assertEquals("order_update", rendered.getString("name"));
    assertEquals("en_US", rendered.getString("language"));
    assertEquals("UTILITY", rendered.getString("category"));
    assertEquals("Order #1042\nHi Ana, your order #1042 ships on May 5. Total: $12.50.\nThanks for shopping",
        rendered.getString("text"));
    JsonObject preview = rendered.getJsonObject("preview");
    assertEquals(new JsonObject().put("type", "text").put("text", "Order #1042"), preview.getJsonObject("header"));
    assertEquals("Hi Ana, your order #1042 ships on May 5. Total: $12.50.", preview.getString("body"));
    assertEquals("Thanks for shopping", preview.getString("footer"));
    assertEquals(new JsonArray()
        .add(new JsonObject().put("index", 0).put("type", "url").put("text", "Track")
            .put("url", "https://shop.example/track/1042"))
        .add(new JsonObject().put("index", 1).put("type", "quick_reply").put("text", "Stop updates").put("payload", "STOP"))
        .add(new JsonObject().put("index", 2).put("type", "phone_number").put("text", "Call us")
            .put("phone_number", "+15550001111")),
        preview.getJsonArray("buttons"));
    String id = list(mine + "&name=order_update&language=en_US", admin).getJsonArray("data").getJsonObject(0).getString("id");
    assertEquals(id, rendered.getString("template_id"));

    JsonObject withoutQuickReply = orderSend();
    withoutQuickReply.getJsonArray("components").remove(3);
    var optional = preview(ourChannel, withoutQuickReply, admin);
    assertEquals(200, optional.statusCode(), "a quick reply's payload is optional: " + optional.bodyAsString());
    assertFalse(optional.bodyAsJsonObject().getJsonObject("preview").getJsonArray("buttons").getJsonObject(1)
        .containsKey("payload"));

    JsonObject portuguese = new JsonObject().put("name", "order_update").put("language", new JsonObject()
        .put("code", "pt_BR").put("policy", "deterministic"))
        .put("components", new JsonArray().add(part("body", text("Ana"), text("#7"))));
    assertEquals("Olá Ana, seu pedido #7 foi enviado.", preview(ourChannel, portuguese, admin)
        .bodyAsJsonObject().getString("text"));

    JsonObject plain = new JsonObject().put("name", "plain_notice").put("language", new JsonObject().put("code", "en_US"));
    JsonObject noParameters = preview(ourChannel, plain, admin).bodyAsJsonObject();
    assertEquals("We are closed today.\nParley Shop", noParameters.getString("text"));
    assertNull(noParameters.getJsonObject("preview").getValue("header"));
  }

  @Test
  void previewFillsNamedParametersByNameInAnyOrder() {
    var response = preview(ourChannel, welcomeSend(), agent);
    assertEquals(200, response.statusCode(), response.bodyAsString());
    JsonObject rendered = response.bodyAsJsonObject();
    assertEquals("Hello Ana, your code is SPRING25. Enjoy, Ana!", rendered.getString("text"),
        "an image header adds no text; a name used twice is filled twice");
    JsonObject preview = rendered.getJsonObject("preview");
    assertEquals(new JsonObject().put("type", "image").put("image", new JsonObject()
        .put("link", "https://cdn.example/welcome.jpg")), preview.getJsonObject("header"));
    assertNull(preview.getValue("footer"));
    assertEquals(new JsonArray().add(new JsonObject().put("index", 0).put("type", "copy_code").put("text", "Copy code")
        .put("coupon_code", "SPRING25")), preview.getJsonArray("buttons"));
  }

  @Test
  void onlyApprovedTemplatesOfThatNameAndLanguageResolve() {
    JsonObject paused = new JsonObject().put("name", "spring_sale").put("language", new JsonObject().put("code", "en_US"))
        .put("components", new JsonArray().add(part("body", text("now"))));
    var refused = preview(ourChannel, paused, admin);
    assertEquals(422, refused.statusCode());
    assertEquals("template_not_approved", errorCode(refused));
    assertTrue(refused.bodyAsJsonObject().getJsonObject("error").getString("message").contains("PAUSED"));
    JsonObject rejected = new JsonObject().put("name", "account_alert").put("language", new JsonObject().put("code", "en_US"));
    assertEquals("template_not_approved", errorCode(preview(ourChannel, rejected, admin)));

    JsonObject otherLanguage = orderSend().put("language", new JsonObject().put("code", "en_GB"));
    var missing = preview(ourChannel, otherLanguage, admin);
    assertEquals(404, missing.statusCode());
    assertEquals("template_not_found", errorCode(missing));
    assertEquals("template_not_found", errorCode(preview(ourChannel, orderSend().put("name", "order_updates"), admin)));

    JsonObject carousel = new JsonObject().put("name", "holiday_carousel").put("language", new JsonObject().put("code", "en_US"));
    var unsupported = preview(ourChannel, carousel, admin);
    assertEquals(422, unsupported.statusCode());
    assertEquals("template_unsupported", errorCode(unsupported));

    for (JsonObject malformed : List.of(new JsonObject(), new JsonObject().put("name", "order_update"),
        new JsonObject().put("name", "order_update").put("language", "en_US"),
        orderSend().put("components", new JsonObject()), orderSend().put("name", 7))) {
      var answer = preview(ourChannel, malformed, admin);
      assertEquals(400, answer.statusCode(), malformed.encode());
      assertEquals("invalid_request", errorCode(answer));
    }
    assertEquals(400, app.postJson("/api/v1/templates/preview", new JsonObject().put("template", orderSend()), admin)
        .statusCode(), "channel_id is required");
    assertEquals(400, app.postJson("/api/v1/templates/preview", new JsonObject()
        .put("channel_id", ourChannel.toString()).put("template", "order_update"), admin).statusCode());
    assertEquals("not_found", errorCode(preview(UUID.randomUUID(), orderSend(), admin)));
  }

  private record Case(String expected, JsonObject template) {}

  private static Case order(String expected, Consumer<JsonArray> change) {
    JsonObject send = orderSend();
    change.accept(send.getJsonArray("components"));
    return new Case(expected, send);
  }

  private static Case welcome(String expected, Consumer<JsonArray> change) {
    JsonObject send = welcomeSend();
    change.accept(send.getJsonArray("components"));
    return new Case(expected, send);
  }

  private static JsonArray bodyOf(JsonArray components) {
    for (Object component : components) {
      if ("body".equals(((JsonObject) component).getString("type"))) {
        return ((JsonObject) component).getJsonArray("parameters");
      }
    }
    throw new AssertionError("no body");
  }

  @Test
  void everyParameterErrorIsNamedByComponentAndPlaceholder() {
    List<Case> cases = List.of(
        order("body parameter {{4}} is missing", c -> bodyOf(c).remove(3)),
        order("body: 5 parameters given, the template takes 4; parameter 5 is extra", c -> bodyOf(c).add(text("x"))),
        order("body parameter {{1}} is empty", c -> bodyOf(c).set(0, text(""))),
        order("body parameter {{2}} is empty", c -> bodyOf(c).set(1, text("   "))),
        order("body parameter {{1}} needs a text", c -> bodyOf(c).set(0, new JsonObject().put("type", "text"))),
        order("body parameter {{1}} must be of type currency or date_time or text, got image",
            c -> bodyOf(c).set(0, new JsonObject().put("type", "image"))),
        order("body parameter {{1}} must be of type currency or date_time or text, got no type",
            c -> bodyOf(c).set(0, new JsonObject().put("text", "Ana"))),
        order("body parameter {{1}} must be an object", c -> bodyOf(c).set(0, "Ana")),
        order("body parameter {{1}} cannot contain new lines, tabs or more than four spaces in a row",
            c -> bodyOf(c).set(0, text("Ana\nSmith"))),
        order("body parameter {{4}} (currency) needs a fallback_value, a three-letter code and a whole amount_1000",
            c -> bodyOf(c).getJsonObject(3).getJsonObject("currency").remove("code")),
        order("body parameter {{3}} (date_time) needs a fallback_value",
            c -> bodyOf(c).getJsonObject(2).getJsonObject("date_time").put("fallback_value", "")),
        order("body parameter {{1}}: parameter_name is only for templates with named parameters",
            c -> bodyOf(c).set(0, named("name", "Ana"))),
        order("body is given twice", c -> c.add(part("body", text("a"), text("b"), text("c"), text("d")))),
        order("body parameters must be an array", c -> c.getJsonObject(1).put("parameters", "Ana")),
        order("button 1 (QUICK_REPLY) parameters must be an array", c -> c.getJsonObject(3).put("parameters", "STOP")),
        order("header parameter {{1}} is missing", c -> c.remove(0)),
        order("header parameter {{1}} must be of type text, got currency", c -> c.getJsonObject(0).getJsonArray("parameters")
            .set(0, new JsonObject().put("type", "currency"))),
        order("button 0 (URL): the URL has a dynamic suffix and needs a text parameter (sub_type url)", c -> c.remove(2)),
        order("button 0 (URL) needs a text parameter", c -> c.getJsonObject(2).put("parameters", new JsonArray())),
        order("button 0 (URL) parameter text is empty", c -> c.getJsonObject(2).put("parameters",
            new JsonArray().add(text(" ")))),
        order("button 0 (URL) parameter must be of type text, got payload", c -> c.getJsonObject(2).put("parameters",
            new JsonArray().add(new JsonObject().put("type", "payload").put("payload", "x")))),
        order("button 0 (URL): 2 parameters given, it takes one; parameter 2 is extra",
            c -> c.getJsonObject(2).getJsonArray("parameters").add(text("more"))),
        order("button 0 (URL): sub_type must be url, got quick_reply", c -> c.getJsonObject(2).put("sub_type", "quick_reply")),
        order("button 1 (QUICK_REPLY) parameter payload is empty", c -> c.getJsonObject(3).put("parameters",
            new JsonArray().add(new JsonObject().put("type", "payload").put("payload", "")))),
        order("button 2 (PHONE_NUMBER) takes no parameters: remove its component", c -> c.add(button("url", "2", text("x")))),
        order("button 5 is extra: the template has 3 button(s), indexes 0 to 2", c -> c.add(button("url", "5", text("x")))),
        order("button 0 is given twice", c -> c.add(button("url", "0", text("1043")))),
        order("components[4] (button) needs an index, the button's position from 0", c -> c.add(part("button", text("x"))
            .put("sub_type", "url"))),
        order("footer takes no parameters: remove the footer component", c -> c.add(part("footer", text("x")))),
        order("components[4] has type 'carousel': use header, body or button", c -> c.add(part("carousel"))),
        order("components[4] must be an object", c -> c.add("body")),
        welcome("header: the template's header is an image, so it needs an image parameter with id or link", c -> c.remove(0)),
        welcome("header parameter must be of type image (the template's header is IMAGE), got video",
            c -> c.getJsonObject(0).put("parameters", new JsonArray().add(new JsonObject().put("type", "video")
                .put("video", new JsonObject().put("id", "123"))))),
        welcome("header image needs an id (uploaded media) or a link", c -> c.getJsonObject(0).getJsonArray("parameters")
            .getJsonObject(0).put("image", new JsonObject())),
        welcome("header image takes an id or a link, not both", c -> c.getJsonObject(0).getJsonArray("parameters")
            .getJsonObject(0).getJsonObject("image").put("id", "4490709327")),
        welcome("header image link must be an http(s) URL", c -> c.getJsonObject(0).getJsonArray("parameters")
            .getJsonObject(0).getJsonObject("image").put("link", "ftp://cdn.example/welcome.jpg")),
        welcome("header: 2 parameters given, an image header takes one; parameter 2 is extra",
            c -> c.getJsonObject(0).getJsonArray("parameters").add(text("x"))),
        welcome("body parameter 1 needs a parameter_name (the template's parameters are {{first_name}}, {{code}}); "
            + "body parameter {{code}} is missing",
            c -> bodyOf(c).set(0, text("SPRING25"))),
        welcome("body parameter {{last_name}} is extra (the template's parameters are {{first_name}}, {{code}})",
            c -> bodyOf(c).add(named("last_name", "Silva"))),
        welcome("body parameter {{code}} is given twice", c -> bodyOf(c).add(named("code", "AGAIN"))),
        welcome("body parameter {{first_name}} is missing", c -> bodyOf(c).remove(1)),
        welcome("body parameter {{code}} is empty", c -> bodyOf(c).set(0, named("code", ""))),
        welcome("button 0 (COPY_CODE) needs a coupon_code parameter (sub_type copy_code)", c -> c.remove(2)),
        welcome("button 0 (COPY_CODE): sub_type must be copy_code, got url", c -> c.getJsonObject(2).put("sub_type", "url")),
        new Case("header: the template has no header, so its 1 parameter(s) are extra", new JsonObject()
            .put("name", "order_update").put("language", new JsonObject().put("code", "pt_BR"))
            .put("components", new JsonArray().add(part("header", text("x"))).add(part("body", text("a"), text("b"))))),
        new Case("body parameter {{1}} is missing; body parameter {{2}} is missing", new JsonObject()
            .put("name", "order_update").put("language", new JsonObject().put("code", "pt_BR"))),
        new Case("body: 1 parameters given, the template takes 0; parameter 1 is extra", new JsonObject()
            .put("name", "plain_notice").put("language", new JsonObject().put("code", "en_US"))
            .put("components", new JsonArray().add(part("body", text("x"))))));
    for (Case c : cases) {
      var answer = preview(ourChannel, c.template(), agent);
      assertEquals(422, answer.statusCode(), c.expected() + ": " + answer.bodyAsString());
      assertEquals("template_parameters_invalid", errorCode(answer), c.expected());
      assertEquals(c.expected(), answer.bodyAsJsonObject().getJsonObject("error").getString("message"));
    }
    JsonObject several = orderSend();
    several.getJsonArray("components").remove(2);
    bodyOf(several.getJsonArray("components")).set(0, text(""));
    String message = preview(ourChannel, several, agent).bodyAsJsonObject().getJsonObject("error").getString("message");
    assertEquals("body parameter {{1}} is empty; button 0 (URL): the URL has a dynamic suffix and needs a text "
        + "parameter (sub_type url)", message, "every problem at once");
  }

  @Test
  void theCatalogResolvesInsideTheCallersTransaction() {
    RenderedTemplate rendered = app.parley.pool().withTransaction(tx ->
        new TemplateCatalog().resolve(tx, org, ourChannel, welcomeSend())).await();
    assertEquals("welcome_named", rendered.name());
    assertEquals("en_US", rendered.language());
    assertEquals("MARKETING", rendered.category());
    assertEquals("Hello Ana, your code is SPRING25. Enjoy, Ana!", rendered.text());
    assertEquals("https://cdn.example/welcome.jpg", rendered.preview().getJsonObject("header").getJsonObject("image")
        .getString("link"));
    assertEquals(rendered.templateId(), app.one("SELECT id FROM templates WHERE channel_id = $1 AND name = 'welcome_named'",
        ourChannel).getUUID("id"));

    // another organization's channel holds nothing for it
    Throwable cause = new TemplateCatalog().resolve(app.parley.pool(), otherOrg, ourChannel, welcomeSend())
        .transform(done -> Future.succeededFuture(done.cause())).await();
    assertTrue(cause instanceof ApiException api && api.code().equals("template_not_found") && api.status() == 404,
        String.valueOf(cause));
  }

  @Test
  void onlyAdminsAndServicesSyncAndOnlyChannelsThatCan() {
    String path = "/api/v1/channels/" + ourChannel + "/templates/sync";
    var byAgent = app.postJson(path, new JsonObject(), agent);
    assertEquals(403, byAgent.statusCode());
    assertEquals("forbidden", errorCode(byAgent));
    var noCredentials = app.postJson(path, new JsonObject(), admin);
    assertEquals(400, noCredentials.statusCode(), "the channel has no access token or WABA id");
    assertEquals("missing_credentials", errorCode(noCredentials));
    String key = app.postJson("/api/v1/api_keys", new JsonObject().put("name", "sync"), admin).bodyAsJsonObject()
        .getString("key");
    assertEquals("missing_credentials", errorCode(app.postJson(path, new JsonObject(), key)), "a service may sync");
    assertEquals(404, app.postJson("/api/v1/channels/" + UUID.randomUUID() + "/templates/sync", new JsonObject(), admin)
        .statusCode());
    assertEquals(7L, app.one("SELECT count(*) AS n FROM templates WHERE channel_id = $1", ourChannel).getLong("n"),
        "a refused sync changes nothing");
  }

  @Test
  void anotherOrganizationCanNeitherSeeNorUseTheTemplates() {
    String ours = list(mine + "&name=welcome_named", admin).getJsonArray("data").getJsonObject(0).getString("id");
    assertFalse(app.api(HttpMethod.GET, "/api/v1/templates?limit=200", null, otherAdmin).bodyAsString().contains(ours));
    assertEquals(404, app.api(HttpMethod.GET, "/api/v1/templates/" + ours, null, otherAdmin).statusCode());
    var theirPreviewOfOurs = preview(ourChannel, welcomeSend(), otherAdmin);
    assertEquals(404, theirPreviewOfOurs.statusCode());
    assertEquals("not_found", errorCode(theirPreviewOfOurs));
    var ourPreviewOfTheirs = preview(OTHER_CHANNEL, orderSend(), admin);
    assertEquals(404, ourPreviewOfTheirs.statusCode());
    assertEquals("not_found", errorCode(ourPreviewOfTheirs));
    assertEquals(200, preview(OTHER_CHANNEL, orderSend(), otherAdmin).statusCode(), "they use their own");
    var theirSync = app.postJson("/api/v1/channels/" + ourChannel + "/templates/sync", new JsonObject(), otherAdmin);
    assertEquals(404, theirSync.statusCode());
    assertEquals("not_found", errorCode(theirSync));
  }
}

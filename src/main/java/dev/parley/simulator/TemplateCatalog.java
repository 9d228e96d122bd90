package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Message templates per WhatsApp Business Account, in the shape {@code GET /{waba_id}/message_templates} lists
 * them. A WABA gets a realistic seed set the first time a number of it registers. Thread-safe.
 */
final class TemplateCatalog {
  static final int DEFAULT_PAGE_SIZE = 25;

  /** One page of a listing and whether more follow. */
  record Page(List<JsonObject> templates, int first, boolean more) {}

  private final Map<String, List<JsonObject>> byWaba = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong(1_200_000_000_000_000L);

  /** Gives the WABA its seed templates unless it has some already. */
  void seed(String wabaId) {
    byWaba.computeIfAbsent(wabaId, id -> {
      List<JsonObject> templates = new ArrayList<>();
      for (JsonObject template : seedTemplates()) {
        templates.add(template.put("id", nextId()));
      }
      return templates;
    });
  }

  boolean knows(String wabaId) {
    return byWaba.containsKey(wabaId);
  }

  /**
   * Adds a template (or replaces the one with the same name and language). Needs {@code name}, {@code language},
   * {@code category} and {@code components}; {@code status} defaults to {@code APPROVED}, {@code id} is generated.
   */
  JsonObject add(String wabaId, JsonObject template) {
    for (String field : List.of("name", "language", "category")) {
      if (!(template.getValue(field) instanceof String value) || value.isBlank()) {
        throw new IllegalArgumentException("a template needs " + field);
      }
    }
    if (!(template.getValue("components") instanceof JsonArray)) {
      throw new IllegalArgumentException("a template needs components");
    }
    JsonObject copy = template.copy();
    copy.put("status", copy.getString("status", "APPROVED"));
    copy.put("parameter_format", copy.getString("parameter_format", "POSITIONAL"));
    copy.put("id", copy.getString("id", nextId()));
    List<JsonObject> templates = byWaba.computeIfAbsent(wabaId, id -> new ArrayList<>());
    synchronized (templates) {
      templates.removeIf(t -> sameTemplate(t, copy.getString("name"), copy.getString("language")));
      templates.add(copy);
    }
    return copy.copy();
  }

  /** Changes a template's status ({@code APPROVED}, {@code PENDING}, {@code REJECTED}, {@code PAUSED}, {@code DISABLED}); false when unknown. */
  boolean setStatus(String wabaId, String name, String language, String status) {
    List<JsonObject> templates = byWaba.get(wabaId);
    if (templates == null) {
      return false;
    }
    synchronized (templates) {
      for (JsonObject template : templates) {
        if (sameTemplate(template, name, language)) {
          template.put("status", status);
          return true;
        }
      }
    }
    return false;
  }

  /** The template with this name and language code, whatever its status; null when there is none. */
  JsonObject find(String wabaId, String name, String language) {
    List<JsonObject> templates = byWaba.get(wabaId);
    if (templates == null) {
      return null;
    }
    synchronized (templates) {
      return templates.stream().filter(t -> sameTemplate(t, name, language)).findFirst().map(JsonObject::copy)
          .orElse(null);
    }
  }

  /** Up to {@code limit} templates matching {@code filter}, from position {@code first}. */
  Page page(String wabaId, Predicate<JsonObject> filter, int first, int limit) {
    List<JsonObject> templates = byWaba.getOrDefault(wabaId, List.of());
    List<JsonObject> matching;
    synchronized (templates) {
      matching = templates.stream().filter(filter).map(JsonObject::copy).toList();
    }
    int from = Math.min(first, matching.size());
    int to = Math.min(from + limit, matching.size());
    return new Page(matching.subList(from, to), from, to < matching.size());
  }

  void clear() {
    byWaba.clear();
  }

  /** A paging cursor for a position: opaque to clients, like Meta's base64 cursors. */
  static String cursor(int position) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Integer.toString(position).getBytes(StandardCharsets.UTF_8));
  }

  /** The position a cursor stands for; -1 for a cursor this catalog did not make. */
  static int position(String cursor) {
    try {
      int position = Integer.parseInt(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
      return Math.max(position, -1);
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }

  private static boolean sameTemplate(JsonObject template, String name, String language) {
    return template.getString("name").equals(name) && template.getString("language").equals(language);
  }

  private String nextId() {
    return Long.toString(ids.incrementAndGet());
  }

  private static JsonObject body(String text, JsonArray example) {
    var body = new JsonObject().put("type", "BODY").put("text", text);
    return example == null ? body : body.put("example", new JsonObject().put("body_text", new JsonArray().add(example)));
  }

  private static JsonObject template(String name, String language, String status, String category, JsonObject... components) {
    return new JsonObject()
        .put("name", name)
        .put("parameter_format", "POSITIONAL")
        .put("components", new JsonArray(List.of((Object[]) components)))
        .put("language", language)
        .put("status", status)
        .put("category", category);
  }

  /** Meta's sample {@code hello_world}, a shipping update with a tracking link, a reminder, a promotion, and two not sendable. */
  static List<JsonObject> seedTemplates() {
    return List.of(
        template("hello_world", "en_US", "APPROVED", "UTILITY",
            new JsonObject().put("type", "HEADER").put("format", "TEXT").put("text", "Hello World"),
            body("Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message "
                + "notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.", null),
            new JsonObject().put("type", "FOOTER").put("text", "WhatsApp Business Platform sample message")),
        template("order_update", "en_US", "APPROVED", "UTILITY",
            body("Hi {{1}}, your order {{2}} has shipped.", new JsonArray().add("Ana").add("#1042")),
            new JsonObject().put("type", "BUTTONS").put("buttons", new JsonArray().add(new JsonObject()
                .put("type", "URL").put("text", "Track your order")
                .put("url", "https://shop.example.com/track/{{1}}")
                .put("example", new JsonArray().add("https://shop.example.com/track/1042"))))),
        template("appointment_reminder", "en_US", "APPROVED", "UTILITY",
            new JsonObject().put("type", "HEADER").put("format", "TEXT").put("text", "Your appointment on {{1}}")
                .put("example", new JsonObject().put("header_text", new JsonArray().add("May 5"))),
            body("Hello {{1}}, this is a reminder of your appointment with {{2}} at {{3}}. Reply to confirm or reschedule.",
                new JsonArray().add("Ana").add("Dr. Silva").add("10:30")),
            new JsonObject().put("type", "FOOTER").put("text", "Reply STOP to opt out"),
            new JsonObject().put("type", "BUTTONS").put("buttons", new JsonArray()
                .add(new JsonObject().put("type", "QUICK_REPLY").put("text", "Confirm"))
                .add(new JsonObject().put("type", "QUICK_REPLY").put("text", "Reschedule")))),
        template("appointment_reminder", "pt_BR", "APPROVED", "UTILITY",
            new JsonObject().put("type", "HEADER").put("format", "TEXT").put("text", "Sua consulta em {{1}}")
                .put("example", new JsonObject().put("header_text", new JsonArray().add("5 de maio"))),
            body("Olá {{1}}, lembramos da sua consulta com {{2}} às {{3}}. Responda para confirmar ou remarcar.",
                new JsonArray().add("Ana").add("Dra. Silva").add("10:30")),
            new JsonObject().put("type", "BUTTONS").put("buttons", new JsonArray()
                .add(new JsonObject().put("type", "QUICK_REPLY").put("text", "Confirmar"))
                .add(new JsonObject().put("type", "QUICK_REPLY").put("text", "Remarcar")))),
        template("new_collection", "en_US", "APPROVED", "MARKETING",
            new JsonObject().put("type", "HEADER").put("format", "IMAGE")
                .put("example", new JsonObject().put("header_handle", new JsonArray().add("https://shop.example.com/banner.jpg"))),
            body("Hi {{1}}, our new collection is here. Take a look!", new JsonArray().add("Ana")),
            new JsonObject().put("type", "BUTTONS").put("buttons", new JsonArray()
                .add(new JsonObject().put("type", "QUICK_REPLY").put("text", "Stop promotions")))),
        template("spring_sale", "en_US", "PENDING", "MARKETING",
            body("Hi {{1}}, our spring sale starts tomorrow: {{2}} off everything.", new JsonArray().add("Ana").add("20%"))),
        template("account_alert", "en_US", "REJECTED", "UTILITY",
            body("URGENT!!! Your account {{1}} will be closed. Click now.", new JsonArray().add("1234")))
            .put("rejected_reason", "INVALID_FORMAT"));
  }
}

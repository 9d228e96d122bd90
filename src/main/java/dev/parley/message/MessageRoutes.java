package dev.parley.message;

import dev.parley.auth.Principal;
import dev.parley.http.Api;
import dev.parley.http.ApiException;
import dev.parley.http.Page;
import dev.parley.http.Routes;
import dev.parley.store.ConversationStore;
import dev.parley.store.MessageStore;
import dev.parley.store.MessageStore.Filter;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Reading messages: a conversation's history ({@code GET /conversations/{id}/messages}), search across the
 * organization ({@code GET /messages}) and export of a filtered set ({@code GET /messages/export}, streamed by
 * {@link MessageExport}). Everything newest first; every row carries its reactions, the message it quotes and
 * its status history.
 */
public final class MessageRoutes implements Routes {
  static final Set<String> DIRECTIONS = Set.of("inbound", "outbound", "system");
  static final Set<String> STATUSES = Set.of("received", "pending", "sent", "delivered", "read", "played", "failed");

  private final Pool pool;
  private final MessageExport export;
  private final MessageStore messages = new MessageStore();
  private final ConversationStore conversations = new ConversationStore();

  public MessageRoutes(Pool pool) {
    this.pool = pool;
    this.export = new MessageExport(pool);
  }

  @Override
  public void mount(Router api) {
    api.get("/conversations/:id/messages").handler(this::history);
    api.get("/messages").handler(this::search);
    api.get("/messages/export").handler(this::export);
  }

  private void history(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    UUID id = Api.uuidParam(ctx, "id", "conversation");
    Page page = Page.of(ctx);
    Instant afterSentAt = page.key(0, Instant::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, conversations.belongs(pool, caller.organizationId(), id)
        .compose(belongs -> {
          if (!belongs) {
            throw ApiException.notFound("conversation");
          }
          return messages.search(pool, Filter.conversation(caller.organizationId(), id), afterSentAt, afterId,
              page.limit() + 1);
        })
        .map(rows -> page.answer(rows, row -> row, MessageRoutes::cursorOf)));
  }

  private void search(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    Page page = Page.of(ctx);
    Filter filter = filter(ctx, caller);
    Instant afterSentAt = page.key(0, Instant::parse);
    UUID afterId = page.key(1, UUID::fromString);
    Api.answer(ctx, 200, messages.search(pool, filter, afterSentAt, afterId, page.limit() + 1)
        .map(rows -> page.answer(rows, row -> row, MessageRoutes::cursorOf)));
  }

  private void export(RoutingContext ctx) {
    Principal caller = Api.principal(ctx);
    String format = ctx.request().getParam("format", "csv");
    if (!format.equals("csv") && !format.equals("jsonl")) {
      throw ApiException.invalid("format must be csv or jsonl");
    }
    export.stream(ctx, filter(ctx, caller), format.equals("csv"));
  }

  private static String cursorOf(JsonObject row) {
    return Page.cursor(row.getString("sent_at"), row.getString("id"));
  }

  /** The search filters shared by search and export. */
  static Filter filter(RoutingContext ctx, Principal caller) {
    var request = ctx.request();
    String text = request.getParam("q");
    if (text != null && (text.isBlank() || text.length() > 500)) {
      throw ApiException.invalid("q must have 1 to 500 characters");
    }
    Instant from = time(request.getParam("from"), "from", false);
    Instant to = time(request.getParam("to"), "to", true);
    if (from != null && to != null && !from.isBefore(to)) {
      throw ApiException.invalid("from must be before to");
    }
    String direction = oneOf(request.getParam("direction"), DIRECTIONS, "direction");
    String status = oneOf(request.getParam("status"), STATUSES, "status");
    String type = request.getParam("type");
    if (type != null && (type.isBlank() || type.length() > 40)) {
      throw ApiException.invalid("type is not a message type");
    }
    return new Filter(caller.organizationId(), text == null ? null : text.strip(), from, to,
        Api.idParam(ctx, "channel_id"), null, Api.idParam(ctx, "contact_id"), Api.idParam(ctx, "conversation_id"),
        direction, status, type);
  }

  /**
   * An ISO-8601 instant, or a date (the start of that day in UTC; for {@code to}, the start of the next day, so
   * {@code to=2026-01-31} includes the 31st).
   */
  static Instant time(String value, String name, boolean endOfDay) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    try {
      if (value.length() == 10) {
        LocalDate day = LocalDate.parse(value);
        return (endOfDay ? day.plusDays(1) : day).atStartOfDay().toInstant(ZoneOffset.UTC);
      }
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw ApiException.invalid(name + " must be a date (2026-01-31) or a time (2026-01-31T10:00:00Z)");
    }
  }

  static String oneOf(String value, Set<String> allowed, String name) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    String lower = value.toLowerCase(Locale.ROOT);
    if (!allowed.contains(lower)) {
      throw ApiException.invalid(name + " must be one of " + String.join(", ", new TreeSet<>(allowed)));
    }
    return lower;
  }
}

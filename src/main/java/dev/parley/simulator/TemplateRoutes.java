package dev.parley.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * {@code GET /{version}/{waba_id}/message_templates}: the WABA's templates in Meta's shape, paged with
 * {@code limit} (default 25) and {@code after}; {@code paging.next} is present while more follow. Filters
 * {@code status}, {@code category}, {@code language} and {@code name} (substring) work like Meta's.
 */
final class TemplateRoutes {
  private final Simulation simulation;

  TemplateRoutes(Simulation simulation) {
    this.simulation = simulation;
  }

  void list(RoutingContext ctx) {
    String version = ctx.pathParam("version");
    String wabaId = ctx.pathParam("id");
    String token = Simulation.bearer(ctx.request());
    if (!simulation.wabaHasToken(wabaId, token)) {
      Simulation.answer(ctx, simulation.anyNumberHasToken(token)
          ? GraphError.unknownObject("get", wabaId)
          : GraphError.invalidToken());
      return;
    }
    int limit;
    try {
      limit = Integer.parseInt(ctx.request().getParam("limit", Integer.toString(TemplateCatalog.DEFAULT_PAGE_SIZE)));
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > 1000) {
      Simulation.answer(ctx, GraphError.of(100, "Param limit must be a number between 1 and 1000"));
      return;
    }
    String after = ctx.request().getParam("after");
    int afterPosition = after == null ? -1 : TemplateCatalog.position(after);
    int first = afterPosition + 1;
    if (after != null && afterPosition < 0) {
      Simulation.answer(ctx, GraphError.of(100, "Param after is not a valid cursor"));
      return;
    }
    StringBuilder filters = new StringBuilder();
    Predicate<JsonObject> filter = t -> true;
    for (String field : new String[] {"status", "category", "language", "name"}) {
      String wanted = ctx.request().getParam(field);
      if (wanted == null) {
        continue;
      }
      filters.append('&').append(field).append('=').append(URLEncoder.encode(wanted, StandardCharsets.UTF_8));
      filter = filter.and(field.equals("name")
          ? t -> t.getString("name", "").contains(wanted)
          : t -> t.getString(field, "").toUpperCase(Locale.ROOT).equals(wanted.toUpperCase(Locale.ROOT)));
    }
    TemplateCatalog.Page page = simulation.templates.page(wabaId, filter, first, limit);
    var answer = new JsonObject().put("data", new JsonArray(page.templates().stream().map(t -> (Object) t).toList()));
    if (!page.templates().isEmpty()) {
      String afterCursor = TemplateCatalog.cursor(page.first() + page.templates().size() - 1);
      var paging = new JsonObject().put("cursors", new JsonObject()
          .put("before", TemplateCatalog.cursor(page.first()))
          .put("after", afterCursor));
      if (page.more()) {
        paging.put("next", simulation.baseUrl() + "/" + version + "/" + wabaId + "/message_templates?limit=" + limit
            + filters + "&after=" + afterCursor);
      }
      answer.put("paging", paging);
    }
    Simulation.answer(ctx, 200, answer);
  }
}

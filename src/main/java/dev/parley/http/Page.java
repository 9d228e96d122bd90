package dev.parley.http;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * Cursor pagination: {@code ?limit=} (1..200, default 50) and an opaque {@code ?cursor=} taken from the previous
 * page's {@code next_cursor}. A cursor is the sort key of the last row served (base64url JSON), so pages stay
 * stable while rows are added. Lists answer {@code {"data":[…],"next_cursor":…}} ({@code null} on the last page).
 *
 * @param after the decoded cursor (the last row's sort key), or null for the first page
 */
public record Page(int limit, JsonArray after) {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 200;

  public static Page of(RoutingContext ctx) {
    String limitParam = ctx.request().getParam("limit");
    int limit = DEFAULT_LIMIT;
    if (limitParam != null) {
      try {
        limit = Integer.parseInt(limitParam);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_LIMIT) {
        throw ApiException.invalid("limit must be between 1 and " + MAX_LIMIT);
      }
    }
    String cursor = ctx.request().getParam("cursor");
    if (cursor == null || cursor.isEmpty()) {
      return new Page(limit, null);
    }
    try {
      return new Page(limit, new JsonArray(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8)));
    } catch (IllegalArgumentException | DecodeException e) {
      throw new ApiException(400, "invalid_cursor", "cursor is not one this server issued");
    }
  }

  /** Part {@code index} of the cursor's key, parsed; null on the first page; 400 for a cursor that does not parse. */
  public <T> T key(int index, Function<String, T> parse) {
    if (after == null) {
      return null;
    }
    try {
      return parse.apply(after.getString(index));
    } catch (RuntimeException e) {
      throw new ApiException(400, "invalid_cursor", "cursor is not one this server issued");
    }
  }

  /** The cursor for the page after one whose last row has sort key {@code key}. */
  public static String cursor(Object... key) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(new JsonArray(List.of(key)).encode().getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The answer for {@code rows} fetched with {@code limit + 1}: at most {@code limit} of them, and the cursor of
   * the last one when there are more.
   */
  public <T> JsonObject answer(List<T> rows, Function<T, JsonObject> json,
      Function<T, String> cursorOf) {
    List<T> shown = rows.size() > limit ? rows.subList(0, limit) : rows;
    return new JsonObject()
        .put("data", new JsonArray(shown.stream().map(json).toList()))
        .put("next_cursor", rows.size() > limit ? cursorOf.apply(shown.get(shown.size() - 1)) : null);
  }
}

package dev.parley.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * What PostgreSQL cannot store in {@code text} or {@code jsonb}: the NUL character (U+0000; the server refuses it)
 * and lone UTF-16 surrogates (the driver writes them as {@code ?}, silently changing the text). Every text that
 * comes in from the network is checked with this one class where it enters (the REST edge, webhook parsing), so no
 * such text reaches a statement.
 */
public final class StorableText {
  private StorableText() {}

  /** What is wrong with {@code text} ("a NUL character", "a lone surrogate"), or null when PostgreSQL can store it. */
  public static String problem(CharSequence text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c == 0) {
        return "a NUL character";
      }
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
          i++;
          continue;
        }
        return "a lone surrogate";
      }
      if (Character.isLowSurrogate(c)) {
        return "a lone surrogate";
      }
    }
    return null;
  }

  /** A text PostgreSQL cannot store, where it was found. */
  public record Unstorable(String field, String problem) {
    public String message() {
      return (field.isEmpty() ? "the body" : field) + " contains " + problem + ", which cannot be stored";
    }
  }

  /**
   * The first text inside a decoded JSON value (strings and object keys, at any depth) that PostgreSQL cannot
   * store, named by its path ({@code text.body}, {@code labels[2]}) under {@code root}; null when all are storable.
   */
  public static Unstorable find(Object json, String root) {
    if (json instanceof CharSequence text) {
      String problem = problem(text);
      return problem == null ? null : new Unstorable(root, problem);
    }
    if (json instanceof JsonObject object) {
      return inObject(object.getMap(), root);
    }
    if (json instanceof Map<?, ?> map) {
      return inObject(map, root);
    }
    if (json instanceof JsonArray array) {
      return inList(array.getList(), root);
    }
    if (json instanceof java.util.List<?> list) {
      return inList(list, root);
    }
    return null;
  }

  private static Unstorable inObject(Map<?, ?> map, String root) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String key = String.valueOf(entry.getKey());
      String field = root.isEmpty() ? key : root + "." + key;
      String problem = problem(key);
      if (problem != null) {
        return new Unstorable(root.isEmpty() ? "a field name" : "a field name in " + root, problem);
      }
      Unstorable found = find(entry.getValue(), field);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static Unstorable inList(java.util.List<?> list, String root) {
    for (int i = 0; i < list.size(); i++) {
      Unstorable found = find(list.get(i), root + "[" + i + "]");
      if (found != null) {
        return found;
      }
    }
    return null;
  }
}

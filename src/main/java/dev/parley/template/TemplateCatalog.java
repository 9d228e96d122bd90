package dev.parley.template;

import dev.parley.http.ApiException;
import dev.parley.store.TemplateStore;
import dev.parley.store.TemplateStore.TemplateRow;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.util.UUID;

/**
 * Resolves the template object of a send ({@code {"name","language":{"code"},"components":[…]}}, the Cloud API's
 * shape) against the channel's synced templates: the template must exist on that channel of that organization, be
 * approved, and get exactly the parameters its components take. Used by the send pipeline inside its transaction and
 * by {@code POST /api/v1/templates/preview}. Stateless: one instance may be shared by every event loop.
 *
 * <p>Failures ({@link ApiException}): {@code 400 invalid_request} (the template object is malformed), {@code 404
 * template_not_found} (no template of that name and language on the channel, or the channel is another
 * organization's), {@code 422 template_not_approved} (its status is not APPROVED), {@code 422 template_unsupported}
 * (a component kind Parley cannot fill, such as a carousel), {@code 422 template_parameters_invalid} (every missing,
 * extra, empty or wrongly typed parameter, named by component and placeholder).
 */
public final class TemplateCatalog {
  public static final String APPROVED = "APPROVED";

  private final TemplateStore templates = new TemplateStore();

  public TemplateCatalog() {}

  /** Looks the template up through {@code client} (a pool or the caller's transaction) and renders it. */
  public Future<RenderedTemplate> resolve(SqlClient client, UUID organizationId, UUID channelId, JsonObject template) {
    String name;
    String language;
    JsonArray components;
    try {
      name = requiredString(template == null ? null : template.getValue("name"), "template.name");
      Object languageValue = template.getValue("language");
      language = requiredString(languageValue instanceof JsonObject object ? object.getValue("code") : null,
          "template.language.code");
      Object componentsValue = template.getValue("components");
      if (componentsValue != null && !(componentsValue instanceof JsonArray)) {
        throw ApiException.invalid("template.components must be an array");
      }
      components = componentsValue == null ? new JsonArray() : (JsonArray) componentsValue;
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return templates.find(client, organizationId, channelId, name, language).map(found -> {
      TemplateRow row = found.orElseThrow(() -> new ApiException(404, "template_not_found",
          "the channel has no template " + name + " in " + language));
      if (!APPROVED.equals(row.status())) {
        throw new ApiException(422, "template_not_approved", "template " + name + " (" + language + ") is "
            + row.status() + "; only APPROVED templates can be sent");
      }
      var rendered = TemplateRenderer.render(TemplateDefinition.of(row.components(), row.parameterFormat()), components);
      return new RenderedTemplate(row.id(), row.name(), row.language(), row.category(), rendered.text(),
          rendered.preview());
    });
  }

  private static String requiredString(Object value, String field) {
    if (!(value instanceof String text) || text.isBlank()) {
      throw ApiException.invalid(field + " is required");
    }
    if (text.length() > 512) {
      throw ApiException.invalid(field + " is too long");
    }
    return text;
  }
}

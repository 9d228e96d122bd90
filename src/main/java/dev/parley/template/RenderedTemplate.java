package dev.parley.template;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A template filled in with a send's parameters, checked against the approved template.
 *
 * @param templateId the {@code templates} row
 * @param name the template's name
 * @param language its language code, e.g. {@code en_US}
 * @param category MARKETING, UTILITY or AUTHENTICATION (as the provider says; may be null)
 * @param text the substituted plain text: the header (when it is text), the body and the footer, one per line; what a
 *     template message stores as its searchable {@code body}
 * @param preview the rendered {@code header} ({@code {"type":"text","text"}}, {@code {"type":"image","image":{…}}},
 *     … or null), {@code body}, {@code footer} (or null) and {@code buttons} ({@code index}, {@code type},
 *     {@code text}, and {@code url}, {@code phone_number}, {@code payload}, {@code coupon_code} or {@code code} as
 *     they apply)
 */
public record RenderedTemplate(UUID templateId, String name, String language, String category, String text,
    JsonObject preview) {
  public JsonObject toJson() {
    return new JsonObject()
        .put("template_id", templateId.toString())
        .put("name", name)
        .put("language", language)
        .put("category", category)
        .put("text", text)
        .put("preview", preview.copy());
  }
}

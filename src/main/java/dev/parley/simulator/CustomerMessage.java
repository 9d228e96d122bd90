package dev.parley.simulator;

import io.vertx.core.json.JsonObject;

/**
 * A message a simulated customer sent, as posted to the number's webhook.
 *
 * @param wamid the message's id ({@code messages[].id})
 * @param waId the customer
 * @param mediaId the media id of an image, video, audio, sticker or document; null otherwise
 * @param message the {@code messages[]} element posted
 */
public record CustomerMessage(String wamid, String waId, String mediaId, JsonObject message) {}

package dev.parley.ingest;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * A provider's webhook request as the HTTP edge received it, passed to {@link Ingest} untouched.
 *
 * @param subscription true for the {@code GET} subscription handshake, false for a {@code POST} delivery
 * @param body the exact raw bytes (signatures are computed over them); empty for {@code GET}
 */
public record WebhookRequest(
    String provider, String channelId, boolean subscription, MultiMap headers, MultiMap query, Buffer body) {}

package dev.parley.conversation;

import java.util.UUID;

/**
 * One committed row of the inbound log: a webhook's verified, routed events and the log position it was given.
 * A projector applies entries in position order.
 */
public record LogEntry(long id, UUID organizationId, InboundBatch batch) {}

package dev.parley.conversation;

import java.util.UUID;

/**
 * One committed row of the inbound log: a webhook's verified, routed events, the log position it was given and the
 * slot of the node that wrote it ({@link LogSlot}). A projector applies entries in position order.
 */
public record LogEntry(long id, int slot, UUID organizationId, InboundBatch batch) {}

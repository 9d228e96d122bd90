package dev.parley.channel;

import dev.parley.store.ChannelStore;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Channel lookups for webhook routing, remembered for a few seconds so that a burst of webhooks does not query
 * PostgreSQL once per request. Changes to a channel (secret rotation, deactivation) take effect within
 * {@code ttl}. Used by ingestion and dispatch. Confined to its verticle's event loop; a failed lookup (store down) is not remembered.
 */
public final class ChannelDirectory {
  private static final int MAX_ENTRIES = 10_000;

  private record Entry(Optional<Channel> channel, long expiresAtNanos) {}

  private final ChannelStore store;
  private final long ttlNanos;
  private final Map<Object, Entry> entries = new HashMap<>();

  public ChannelDirectory(ChannelStore store, Duration ttl) {
    this.store = store;
    this.ttlNanos = ttl.toNanos();
  }

  public Future<Optional<Channel>> byId(UUID id) {
    return cached(id, () -> store.find(id));
  }

  /** The organization's channel for a provider account id (WhatsApp {@code phone_number_id}). */
  public Future<Optional<Channel>> byExternalId(UUID organizationId, String provider, String externalId) {
    return cached(new ExternalKey(organizationId, provider, externalId),
        () -> store.findByExternalId(organizationId, provider, externalId));
  }

  private record ExternalKey(UUID organizationId, String provider, String externalId) {}

  private Future<Optional<Channel>> cached(Object key, java.util.function.Supplier<Future<Optional<Channel>>> load) {
    long now = System.nanoTime();
    Entry entry = entries.get(key);
    if (entry != null && entry.expiresAtNanos - now > 0) {
      return Future.succeededFuture(entry.channel);
    }
    return load.get().onSuccess(channel -> {
      if (entries.size() >= MAX_ENTRIES) {
        entries.clear();
      }
      entries.put(key, new Entry(channel, now + ttlNanos));
    });
  }
}

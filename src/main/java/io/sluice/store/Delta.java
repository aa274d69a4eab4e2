package io.sluice.store;

import io.sluice.config.EntityKey;
import java.util.List;
import java.util.Map;

/**
 * What changed between two configuration versions, read in one transaction: {@code entries} maps each
 * changed service, route and plugin to its state as of {@code version} (JSON, see {@link ChangeReader}) or
 * to null when it is gone; {@code keys} names every entity that changed (of every table);
 * {@code cacheKeys} the consumer-cache keys to evict; {@code committedAtMillis} has one commit time per
 * version in (previous, version]. A full delta ({@code full}) holds every service, route and plugin.
 */
public record Delta(long version, long previous, boolean full, Map<EntityKey, String> entries,
                    List<EntityKey> keys, List<String> cacheKeys, List<Long> committedAtMillis) {

  public boolean empty() {
    return version <= previous && !full;
  }
}

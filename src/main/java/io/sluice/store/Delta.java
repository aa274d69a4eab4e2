package io.sluice.store;

import io.sluice.config.EntityKey;
import java.util.List;
import java.util.Map;

/**
 * What changed between two configuration versions, read in one transaction: {@code entries} maps each
 * changed service, route and plugin to its state as of {@code version} (JSON, see {@link ChangeReader}) or
 * to null when it is gone; {@code keys} names the changed services, routes, plugins and tenants;
 * {@code cacheKeys} the consumer-cache keys to evict, or {@code flushCaches} when so many consumers and
 * credentials changed that the caches are emptied instead; {@code committedAtMillis} has one commit time per
 * version in (previous, version]. A full delta ({@code full}) holds every service, route and plugin;
 * {@code restartedBecause} says why a reader of the change log had to start over (null otherwise);
 * {@code more} says that this was one page and later versions are already committed. A full delta below its
 * {@code previous} ({@link #regressed}) is PostgreSQL's state after its version went back (a restored backup).
 */
public record Delta(long version, long previous, boolean full, Map<EntityKey, String> entries,
                    List<EntityKey> keys, List<String> cacheKeys, boolean flushCaches,
                    List<Long> committedAtMillis, String restartedBecause, boolean more) {

  public boolean empty() {
    return version <= previous && !full;
  }

  /** Whether PostgreSQL holds a version below the one this delta was read after: whatever was read before is void. */
  public boolean regressed() {
    return full && version < previous;
  }

  /** The reason of a full reload, as {@code sluice_config_full_reloads_total{reason}} counts it. */
  public String reloadReason() {
    return regressed() ? "version_regressed" : "change_log_pruned";
  }
}

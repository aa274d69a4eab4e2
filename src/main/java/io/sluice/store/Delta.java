package io.sluice.store;

import java.util.List;
import java.util.Map;

/**
 * What changed between two configuration versions, read in one transaction: {@code entries} maps each
 * changed service and route ({@code services:ID}, {@code routes:ID}) to its state as of {@code version}
 * (JSON, see {@link ChangeReader}) or to null when it is gone; {@code keys} names everything that changed
 * (every table, plus {@code cache:KEY} for consumer-cache keys to evict); {@code committedAtMillis} has one
 * commit time per version in (previous, version]. A full delta ({@code full}) holds every service and route.
 */
public record Delta(long version, long previous, boolean full, Map<String, String> entries, List<String> keys,
                    List<Long> committedAtMillis) {

  public boolean empty() {
    return version <= previous && !full;
  }
}

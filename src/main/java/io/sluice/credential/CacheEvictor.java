package io.sluice.credential;

import java.util.List;

/** Evicts consumer-cache entries; the sync applier calls it before a version counts as applied. */
public interface CacheEvictor {

  /** Evicts these keys (see {@link CacheKeys}). */
  void evict(List<String> cacheKeys);

  /** Evicts everything (a full reload). */
  void evictAll();
}

package io.sluice.credential;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import io.sluice.metrics.Meters;

/**
 * Consumers and credentials read through (cache-aside): a bounded near-cache on this node (Caffeine), then the
 * cluster's Hazelcast map ({@code sluice.consumers}, bounded per node with LRU and a TTL), then the source
 * (PostgreSQL). Unknown keys are cached too (negative caching, shorter TTL). Nothing is loaded at start, so
 * a node with a million consumers starts like one with ten and its heap holds at most the cache size.
 *
 * <p>Changes evict: the sync leader removes a changed key from the cluster map, and every node evicts it
 * from its near-cache while it applies the change, before it records the version. The near-cache is this
 * class's own rather than Hazelcast's: Hazelcast's near-cache invalidations travel apart from the event bus,
 * so a node could apply a version before the invalidation arrives and serve a cached miss for a key created
 * a moment ago; here the eviction is part of applying. A read that raced an eviction (its source answer
 * may predate the change) is not cached, and a cluster-map put it already made is undone.
 */
public final class CachedConsumerDirectory implements ConsumerDirectory, CacheEvictor {

  /** Keep eviction marks this long: far past any read-through (the pool waits at most a few seconds). */
  private static final long EVICTION_MEMORY_MS = 60_000;

  /** A cached answer (null value: the key is unknown) and how long it lives (negative answers shorter). */
  private record Cached(Object value, long ttlMs) {}

  private final ConsumerDirectory source;
  private final AsyncMap<String, String> shared;
  private final long ttlMs;
  private final long negativeTtlMs;
  private final Counter nearHits;
  private final Counter clusterHits;
  private final Counter misses;

  // Compound operations (check an eviction mark, then cache) are guarded by this.
  /** The near-cache: bounded to nearSize entries, each expiring after its own TTL. */
  private final Cache<String, Cached> near;
  /** The eviction sequence number of each key evicted lately (forgotten after EVICTION_MEMORY_MS). */
  private final Cache<String, Long> evicted = Caffeine.newBuilder()
      .expireAfterWrite(Duration.ofMillis(EVICTION_MEMORY_MS)).executor(Runnable::run).build();
  private final Map<String, Future<?>> sharedPuts = new java.util.HashMap<>();
  private long evictionSeq;
  private long evictedAllSeq;

  /** {@code shared} is the cluster map, or null on a single node (the near-cache is then the only tier). */
  public CachedConsumerDirectory(ConsumerDirectory source, AsyncMap<String, String> shared, int nearSize,
                                 long ttlMs, long negativeTtlMs, MeterRegistry registry) {
    this(source, shared, nearSize, ttlMs, negativeTtlMs, registry, Ticker.systemTicker());
  }

  /** With the clock the near-cache's TTLs are measured on (tests move one by hand). */
  CachedConsumerDirectory(ConsumerDirectory source, AsyncMap<String, String> shared, int nearSize, long ttlMs,
                          long negativeTtlMs, MeterRegistry registry, Ticker ticker) {
    this.source = source;
    this.shared = shared;
    this.ttlMs = ttlMs;
    this.negativeTtlMs = negativeTtlMs;
    // Maintenance (size and expiry eviction) runs on the calling thread: no pool thread, nothing to race.
    this.near = Caffeine.newBuilder().maximumSize(nearSize).executor(Runnable::run).ticker(ticker)
        .expireAfter(Expiry.<String, Cached>writing((key, c) -> Duration.ofMillis(c.ttlMs()))).build();
    String name = Meters.CONSUMER_CACHE_LOOKUPS;
    nearHits = Counter.builder(name).tag("result", "near_hit")
        .description("Consumer lookups by where they were answered").register(registry);
    clusterHits = Counter.builder(name).tag("result", "cluster_hit")
        .description("Consumer lookups by where they were answered").register(registry);
    misses = Counter.builder(name).tag("result", "miss")
        .description("Consumer lookups by where they were answered").register(registry);
    Gauge.builder(Meters.CONSUMER_CACHE_SIZE, this, CachedConsumerDirectory::nearCount)
        .description("Entries in this node's consumer near-cache").register(registry);
  }

  @Override
  public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
    return lookup(CacheKeys.apiKey(digest),
        () -> source.byKeyDigest(digest), Consumer.class);
  }

  @Override
  public Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer) {
    return lookup(CacheKeys.jwtIssuer(tenant, issuer), () -> source.byJwtIssuer(tenant, issuer),
        JwtCredential.class);
  }

  @SuppressWarnings("unchecked")
  private <T> Future<Optional<T>> lookup(String key, Supplier<Future<Optional<T>>> load, Class<T> type) {
    long seq;
    synchronized (this) {
      Cached c = near.getIfPresent(key);
      if (c != null) {
        nearHits.increment();
        return Future.succeededFuture(Optional.ofNullable((T) c.value));
      }
      seq = evictionSeq;
    }
    Future<String> fromCluster = shared == null ? Future.succeededFuture() : shared.get(key);
    return fromCluster.compose(json -> {
      if (json != null) {
        clusterHits.increment();
        Optional<T> value = decode(json, type);
        remember(key, value, seq, null);
        return Future.succeededFuture(value);
      }
      misses.increment();
      return load.get().map(value -> {
        remember(key, value, seq, encode(value));
        return value;
      });
    });
  }

  /** Caches {@code value} unless {@code key} was evicted since the read began ({@code seq}). */
  private void remember(String key, Optional<?> value, long seq, String sharedJson) {
    long ttl = value.isPresent() ? ttlMs : negativeTtlMs;
    synchronized (this) {
      Long mark = evicted.getIfPresent(key);
      if (mark != null && mark > seq || evictedAllSeq > seq) {
        return;  // the answer may predate the change that evicted the key
      }
      near.put(key, new Cached(value.orElse(null), ttl));
      if (sharedJson != null && shared != null) {
        sharedPuts.put(key, shared.put(key, sharedJson, ttl).onComplete(ar -> {
          synchronized (this) {
            sharedPuts.remove(key);
          }
        }));
      }
    }
  }

  @Override
  public void evict(List<String> cacheKeys) {
    synchronized (this) {
      for (String key : cacheKeys) {
        near.invalidate(key);
        evicted.put(key, ++evictionSeq);
        Future<?> put = sharedPuts.remove(key);
        if (put != null) {
          // Our put of an answer read before the change may land after the leader's eviction: undo it.
          put.onComplete(ar -> shared.remove(key));
        }
      }
    }
  }

  @Override
  public synchronized void evictAll() {
    evict(List.copyOf(near.asMap().keySet()));
    near.invalidateAll();
    // Reads in flight may predate whatever was missed: none of them is cached.
    evictedAllSeq = ++evictionSeq;
  }

  private synchronized long nearCount() {
    near.cleanUp();
    return near.estimatedSize();
  }

  private static String encode(Optional<?> value) {
    return value.map(v -> new JsonObject().put("v", JsonObject.mapFrom(v))).orElse(new JsonObject().putNull("v"))
        .encode();
  }

  private static <T> Optional<T> decode(String json, Class<T> type) {
    JsonObject v = new JsonObject(json).getJsonObject("v");
    return v == null ? Optional.empty() : Optional.of(Json.decodeValue(v.encode(), type));
  }

  /** A source for nodes that have none yet: every lookup fails (policies then answer 503, never 401). */
  public static ConsumerDirectory unavailable() {
    return new ConsumerDirectory() {
      @Override
      public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
        return Future.failedFuture("no consumer source configured");
      }

      @Override
      public Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer) {
        return Future.failedFuture("no consumer source configured");
      }
    };
  }

}

package io.sluice.credential;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Consumers and credentials read through (cache-aside): a bounded LRU near-cache on this node, then the
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

  private record Cached(Object value, long expiresAtMillis) {}

  private final ConsumerDirectory source;
  private final AsyncMap<String, String> shared;
  private final int nearSize;
  private final long ttlMs;
  private final long negativeTtlMs;
  private final Counter nearHits;
  private final Counter clusterHits;
  private final Counter misses;

  // Guarded by this.
  private final LinkedHashMap<String, Cached> near;
  private final LinkedHashMap<String, long[]> evicted = new LinkedHashMap<>();
  private final Map<String, Future<?>> sharedPuts = new java.util.HashMap<>();
  private long evictionSeq;
  private long evictedAllSeq;

  /** {@code shared} is the cluster map, or null on a single node (the near-cache is then the only tier). */
  public CachedConsumerDirectory(ConsumerDirectory source, AsyncMap<String, String> shared, int nearSize,
                                 long ttlMs, long negativeTtlMs, MeterRegistry registry) {
    this.source = source;
    this.shared = shared;
    this.nearSize = nearSize;
    this.ttlMs = ttlMs;
    this.negativeTtlMs = negativeTtlMs;
    this.near = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
        return size() > CachedConsumerDirectory.this.nearSize;
      }
    };
    String name = "sluice.consumer.cache.lookups";
    nearHits = Counter.builder(name).tag("result", "near_hit")
        .description("Consumer lookups by where they were answered").register(registry);
    clusterHits = Counter.builder(name).tag("result", "cluster_hit")
        .description("Consumer lookups by where they were answered").register(registry);
    misses = Counter.builder(name).tag("result", "miss")
        .description("Consumer lookups by where they were answered").register(registry);
    Gauge.builder("sluice.consumer.cache.size", this, CachedConsumerDirectory::nearCount)
        .description("Entries in this node's consumer near-cache").register(registry);
  }

  @Override
  public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
    return lookup(CacheKeys.apiKey(digest),
        () -> source.byKeyDigest(digest), Consumer.class);
  }

  @Override
  public Future<Optional<JwtCredential>> byJwtIssuer(String issuer) {
    return lookup(CacheKeys.jwtIssuer(issuer), () -> source.byJwtIssuer(issuer), JwtCredential.class);
  }

  @SuppressWarnings("unchecked")
  private <T> Future<Optional<T>> lookup(String key, Supplier<Future<Optional<T>>> load, Class<T> type) {
    long now = System.currentTimeMillis();
    long seq;
    synchronized (this) {
      Cached c = near.get(key);
      if (c != null && c.expiresAtMillis > now) {
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
      long[] mark = evicted.get(key);
      if (mark != null && mark[0] > seq || evictedAllSeq > seq) {
        return;  // the answer may predate the change that evicted the key
      }
      near.put(key, new Cached(value.orElse(null), System.currentTimeMillis() + ttl));
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
    long now = System.currentTimeMillis();
    synchronized (this) {
      for (String key : cacheKeys) {
        near.remove(key);
        evicted.remove(key);
        evicted.put(key, new long[] {++evictionSeq, now});
        Future<?> put = sharedPuts.remove(key);
        if (put != null) {
          // Our put of an answer read before the change may land after the leader's eviction: undo it.
          put.onComplete(ar -> shared.remove(key));
        }
      }
      var it = evicted.values().iterator();
      while (it.hasNext() && it.next()[1] < now - EVICTION_MEMORY_MS) {
        it.remove();
      }
    }
  }

  @Override
  public synchronized void evictAll() {
    evict(List.copyOf(near.keySet()));
    near.clear();
    // Reads in flight may predate whatever was missed: none of them is cached.
    evictedAllSeq = ++evictionSeq;
  }

  private synchronized int nearCount() {
    return near.size();
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
      public Future<Optional<JwtCredential>> byJwtIssuer(String issuer) {
        return Future.failedFuture("no consumer source configured");
      }
    };
  }

}

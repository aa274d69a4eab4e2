package io.sluice.consumer;

import io.vertx.core.Future;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node-local, bounded cache in front of a directory, with negative caching, emptied whenever the node
 * applies a new configuration version ({@link #invalidateAll}): consumers and credentials are configuration
 * rows, so every change to them bumps the version, and a deleted key stops working as soon as the node
 * serves the version that deleted it, like any route change. Failures are never cached.
 *
 * <p>Interim: the cluster's Hazelcast near-cache (cluster branch) replaces this class, wrapping the same
 * {@link PgConsumerDirectory}. Without any cache every key-auth request is a PostgreSQL query, which caps
 * a node at a few thousand requests per second (see bench/RESULTS.md).
 */
public final class CachingConsumerDirectory implements ConsumerDirectory {

  /** Entries kept before the cache is emptied and refilled (a bound, not an eviction policy). */
  private static final int MAX_ENTRIES = 100_000;

  private final ConsumerDirectory delegate;
  private final ConcurrentHashMap<String, Optional<Consumer>> byDigest = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Optional<JwtCredential>> byIssuer = new ConcurrentHashMap<>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache after it. */
  private final AtomicLong generation = new AtomicLong();

  public CachingConsumerDirectory(ConsumerDirectory delegate) {
    this.delegate = delegate;
  }

  @Override
  public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
    String key = new String(digest, java.nio.charset.StandardCharsets.ISO_8859_1); // one char per byte
    Optional<Consumer> hit = byDigest.get(key);
    if (hit != null) {
      return Future.succeededFuture(hit);
    }
    long gen = generation.get();
    return delegate.byKeyDigest(digest).onSuccess(v -> fill(byDigest, key, v, gen));
  }

  @Override
  public Future<Optional<JwtCredential>> byJwtIssuer(String issuer) {
    Optional<JwtCredential> hit = byIssuer.get(issuer);
    if (hit != null) {
      return Future.succeededFuture(hit);
    }
    long gen = generation.get();
    return delegate.byJwtIssuer(issuer).onSuccess(v -> fill(byIssuer, issuer, v, gen));
  }

  private <T> void fill(ConcurrentHashMap<String, T> map, String key, T value, long gen) {
    if (map.size() >= MAX_ENTRIES) {
      map.clear();
    }
    map.put(key, value);
    if (generation.get() != gen) {
      map.remove(key, value);
    }
  }

  /** Forgets everything: called when the node applies a new configuration version. */
  public void invalidateAll() {
    generation.incrementAndGet();
    byDigest.clear();
    byIssuer.clear();
  }
}

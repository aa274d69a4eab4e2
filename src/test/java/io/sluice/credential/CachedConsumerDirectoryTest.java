package io.sluice.credential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The near-cache tier on its own (the cluster tier is exercised by ClusterSyncTest with real Hazelcast). */
class CachedConsumerDirectoryTest {

  /** An in-memory source of a million consumers that counts lookups and can hold one answer back. */
  private static final class Source implements ConsumerDirectory {
    final Map<String, Consumer> extra = new ConcurrentHashMap<>();
    final AtomicInteger lookups = new AtomicInteger();
    volatile Promise<Void> gate;

    @Override
    public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
      lookups.incrementAndGet();
      long n = ByteBuffer.wrap(digest).getLong();
      String hex = HexFormat.of().formatHex(digest);
      Optional<Consumer> answer = extra.containsKey(hex) ? Optional.of(extra.get(hex))
          : n >= 0 && n < 1_000_000 ? Optional.of(new Consumer("c" + n, "t", "user" + n, null, List.of()))
          : Optional.empty();
      Promise<Void> g = gate;
      return g == null ? Future.succeededFuture(answer) : g.future().map(v -> answer);
    }

    @Override
    public Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer) {
      return Future.succeededFuture(Optional.empty());
    }
  }

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Source source = new Source();
  private final CachedConsumerDirectory cache = new CachedConsumerDirectory(source, null, 1_000, 60_000, 60_000,
      registry);

  private static byte[] digest(long n) {
    return ByteBuffer.allocate(32).putLong(n).array();
  }

  private static String key(long n) {
    return CacheKeys.apiKey(digest(n));
  }

  @Test
  void a_million_consumers_are_read_on_demand_and_the_cache_stays_bounded() {
    for (long n = 0; n < 20_000; n++) {
      assertEquals("user" + n, cache.byKeyDigest(digest(n)).result().orElseThrow().username());
    }
    assertEquals(20_000, source.lookups.get(), "nothing was loaded ahead");
    assertTrue(registry.get("sluice.consumer.cache.size").gauge().value() <= 1_000);
    cache.byKeyDigest(digest(19_999));
    assertEquals(20_000, source.lookups.get(), "a recent key is answered from the near-cache");
  }

  @Test
  void an_unknown_key_is_cached_as_unknown_until_its_creation_evicts_it() {
    long unknown = 5_000_000;
    assertEquals(Optional.empty(), cache.byKeyDigest(digest(unknown)).result());
    assertEquals(Optional.empty(), cache.byKeyDigest(digest(unknown)).result());
    assertEquals(1, source.lookups.get(), "the miss was cached");
    source.extra.put(HexFormat.of().formatHex(digest(unknown)), new Consumer("new", "t", "newcomer", null, List.of()));
    cache.evict(List.of(key(unknown)));
    assertEquals("newcomer", cache.byKeyDigest(digest(unknown)).result().orElseThrow().username());
  }

  @Test
  void an_answer_read_before_an_eviction_is_not_cached() {
    long unknown = 6_000_000;
    source.gate = Promise.promise();
    Future<Optional<Consumer>> inFlight = cache.byKeyDigest(digest(unknown));
    // The key is created (and evicted) while the read that will answer "unknown" is still in flight.
    source.extra.put(HexFormat.of().formatHex(digest(unknown)), new Consumer("new", "t", "late", null, List.of()));
    cache.evict(List.of(key(unknown)));
    Promise<Void> g = source.gate;
    source.gate = null;
    g.complete();
    assertEquals(Optional.empty(), inFlight.result(), "the racing read answers what it read");
    assertEquals("late", cache.byKeyDigest(digest(unknown)).result().orElseThrow().username(),
        "but its stale answer was not cached");
  }

  @Test
  void a_known_key_lives_its_ttl_and_an_unknown_one_its_shorter_negative_ttl() {
    AtomicLong nanos = new AtomicLong();
    CachedConsumerDirectory timed = new CachedConsumerDirectory(source, null, 1_000, 60_000, 5_000,
        new SimpleMeterRegistry(), nanos::get);
    long unknown = 7_000_000;
    timed.byKeyDigest(digest(1));
    timed.byKeyDigest(digest(unknown));
    assertEquals(2, source.lookups.get());
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(5_001));
    timed.byKeyDigest(digest(1));
    assertEquals(2, source.lookups.get(), "a known consumer is still cached after the negative TTL");
    timed.byKeyDigest(digest(unknown));
    assertEquals(3, source.lookups.get(), "an unknown key is read again once its negative TTL is over");
    nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(55_000));
    timed.byKeyDigest(digest(1));
    assertEquals(4, source.lookups.get(), "and a known one once its TTL is over");
  }
}

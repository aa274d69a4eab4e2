package io.sluice.policy;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.credential.ConsumerDirectory;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * What policies of one node share, made once per node and handed to every policy built: the consumer
 * directory, the Redis client (created on first use, one per node), the node-local counters (which outlive
 * route table rebuilds), the meter registry and the live node count.
 */
public final class PolicyServices {

  /** Connections to Redis per node: commands are pipelined, a few connections carry a node's traffic. */
  private static final int REDIS_POOL_SIZE = 8;

  private final Vertx vertx;
  private final ConsumerDirectory consumers;
  private final MeterRegistry registry;
  private final IntSupplier liveNodes;
  private final String redisUrl;
  private final long redisTimeoutMs;
  private final long redisRetryMs;
  /** Node-wide state of policy kinds, by type: made on first use, kept across rebuilds, closed with the node. */
  private final Map<Class<?>, Object> shared = new ConcurrentHashMap<>();
  private final String hmacSecret;
  private volatile RedisAPI redis;
  /** System.nanoTime() before which Redis is not tried again (0: try it). */
  private volatile long redisDownUntil;

  public PolicyServices(Vertx vertx, ConsumerDirectory consumers, MeterRegistry registry, IntSupplier liveNodes,
                        String hmacSecret, String redisUrl, long redisTimeoutMs, long redisRetryMs) {
    this.hmacSecret = hmacSecret;
    this.vertx = vertx;
    this.consumers = consumers;
    this.registry = registry;
    this.liveNodes = liveNodes;
    this.redisUrl = redisUrl;
    this.redisTimeoutMs = redisTimeoutMs;
    this.redisRetryMs = redisRetryMs;
  }

  public Vertx vertx() { return vertx; }

  /** Null when the node has no PostgreSQL (file mode): authentication policies then refuse to build. */
  public ConsumerDirectory consumers() { return consumers; }

  public MeterRegistry registry() { return registry; }

  /** keys.hmac_secret: the key of the API key digests. */
  public String hmacSecret() { return hmacSecret; }

  /** Live nodes of the cluster (1 until the cluster lands): the local fallback's share of a limit. */
  public int liveNodes() { return Math.max(1, liveNodes.getAsInt()); }

  public long redisTimeoutMs() { return redisTimeoutMs; }

  /** After Redis failed, how long the node goes straight to the fallback before trying Redis again. */
  public long redisRetryMs() { return redisRetryMs; }

  /**
   * Node-wide state a kind of policy keeps across route-table rebuilds (the local rate-limit counters, say):
   * one instance per type, made with {@code make} on first use and closed with the node when AutoCloseable.
   */
  public <T> T shared(Class<T> type, Function<Vertx, T> make) {
    return type.cast(shared.computeIfAbsent(type, k -> make.apply(vertx)));
  }

  /** The node's Redis client, created on first use. */
  public RedisAPI redis() {
    RedisAPI r = redis;
    if (r == null) {
      synchronized (this) {
        if (redis == null) {
          RedisOptions options = new RedisOptions().setConnectionString(redisUrl)
              .setMaxPoolSize(REDIS_POOL_SIZE).setMaxPoolWaiting(4096).setMaxWaitingHandlers(4096)
              .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) Math.max(1, redisTimeoutMs))
                  .setTcpNoDelay(true));
          redis = RedisAPI.api(Redis.createClient(vertx, options));
        }
        r = redis;
      }
    }
    return r;
  }

  /** Whether Redis should be tried now: not within redis.retry_ms of its last failure. */
  public boolean redisUsable() {
    long until = redisDownUntil;
    return until == 0 || System.nanoTime() - until >= 0;
  }

  /** Redis failed or was too slow: the node goes straight to the fallback for redis.retry_ms. */
  public void redisFailed() {
    redisDownUntil = System.nanoTime() + redisRetryMs * 1_000_000L;
  }

  /** Whether any policy has used Redis yet (the client is made on first use). */
  public boolean redisStarted() {
    return redis != null;
  }

  /** Whether the last Redis call failed or timed out (the next answer clears it). */
  public boolean redisFailing() {
    return redisDownUntil != 0;
  }

  public void redisAnswered() {
    if (redisDownUntil != 0) {
      redisDownUntil = 0;
    }
  }

  public void close() {
    for (Object state : shared.values()) {
      if (state instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + state.getClass().getSimpleName() + " failed", e);
        }
      }
    }
    if (redis != null) {
      redis.close();
    }
  }
}

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What policies of one node share, made once per node and handed to every policy built: the consumer
 * directory, the Redis client (made when the first policy that needs it is built, one per node), the node-local
 * counters (which outlive route table rebuilds), the meter registry and the live node count.
 */
public final class PolicyServices {

  private static final Logger LOG = LoggerFactory.getLogger(PolicyServices.class);
  /** Connections to Redis per node: commands are pipelined, a few connections carry a node's traffic. */
  private static final int REDIS_POOL_SIZE = 8;
  /**
   * How often a node whose policies use Redis pings it: the redis check of /health/ready then follows Redis with no
   * traffic at all (it read only the last call's outcome: UP with Redis down until a request tried it, DOWN for
   * minutes after it came back until one did). One PING a node every 2 s.
   */
  static final long REDIS_PROBE_MS = 2_000;

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
  /** The client under {@link #redis}: for commands with binary arguments (RedisAPI sends strings as UTF-8). */
  private volatile Redis redisClient;
  /** Whether a policy of the route table needs Redis (set when it is built, never unset). */
  private volatile boolean redisInUse;
  /** Why the Redis client cannot be made from redis.url (null: made, or not tried); redis.url never changes. */
  private volatile String redisUnmade;
  /** System.nanoTime() before which Redis is not tried again (0: try it). */
  private volatile long redisDownUntil;
  /** The Redis probe's timer (-1: none), set with the client in {@link #redis()}: guarded by this, like it. */
  private long probeTimer = -1;

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

  /**
   * A policy that calls Redis was built (rate-limiting with policy redis, proxy-cache): Redis is in use from now on,
   * and its client is made at once, so that one that cannot be made shows in /health/ready before any request.
   */
  public void redisNeeded() {
    redisInUse = true;
    try {
      redis();
    } catch (IllegalStateException e) {
      // Recorded (redisUnmade): the policy falls back or bypasses on each request, as with Redis down.
    }
  }

  /**
   * The node's Redis client, made on first use (it connects on its first command). Throws IllegalStateException,
   * naming redis.url but never echoing it, when the client cannot be made from it.
   */
  public RedisAPI redis() {
    RedisAPI r = redis;
    if (r == null) {
      synchronized (this) {
        redisInUse = true;
        if (redisUnmade != null) {
          throw new IllegalStateException(redisUnmade);
        }
        if (redis == null) {
          RedisOptions options = new RedisOptions().setConnectionString(redisUrl)
              .setMaxPoolSize(REDIS_POOL_SIZE).setMaxPoolWaiting(4096).setMaxWaitingHandlers(4096)
              .setNetClientOptions(new NetClientOptions().setConnectTimeout((int) Math.max(1, redisTimeoutMs))
                  .setTcpNoDelay(true));
          try {
            redisClient = Redis.createClient(vertx, options);
            redis = RedisAPI.api(redisClient);
            probeTimer = vertx.setPeriodic(REDIS_PROBE_MS, id -> probe());
          } catch (RuntimeException e) {
            // The URL may carry a password: the exception's type only (its message may quote the URL).
            redisUnmade = "the Redis client cannot be made from redis.url (" + e.getClass().getSimpleName() + ")";
            LOG.warn("{}: Redis-backed policies fall back (rate-limiting) or bypass (proxy-cache)", redisUnmade);
            throw new IllegalStateException(redisUnmade);
          }
        }
        r = redis;
      }
    }
    return r;
  }

  /**
   * The node's Redis client itself, for a command whose arguments are bytes (a cached answer's body): made and
   * refused as {@link #redis()}.
   */
  public Redis redisClient() {
    redis();
    return redisClient;
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

  /** Whether a policy of this node needs Redis (one was built, or asked for the client). */
  public boolean redisInUse() {
    return redisInUse;
  }

  /** Why the Redis client cannot be made from redis.url, or null (made, or not tried yet). */
  public String redisUnmade() {
    return redisUnmade;
  }

  /** Whether the last Redis call failed or timed out (the next answer clears it). */
  public boolean redisFailing() {
    return redisDownUntil != 0;
  }

  /** A PING within redis.timeout_ms: the same outcome as a policy's call (fallback for redis.retry_ms, or cleared). */
  private void probe() {
    RedisAPI r = redis;
    if (r != null) {
      r.ping(java.util.List.of()).timeout(Math.max(1, redisTimeoutMs), java.util.concurrent.TimeUnit.MILLISECONDS)
          .onComplete(ar -> {
            if (ar.succeeded()) {
              redisAnswered();
            } else {
              redisFailed();
            }
          });
    }
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
    synchronized (this) {
      // Under the lock redis() sets them with: an event loop may have made the client just before the node closes.
      if (probeTimer >= 0) {
        vertx.cancelTimer(probeTimer);
      }
      if (redis != null) {
        redis.close();
      }
    }
  }
}

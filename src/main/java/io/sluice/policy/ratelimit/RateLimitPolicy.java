package io.sluice.policy.ratelimit;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Counter;
import io.netty.util.AsciiString;
import io.sluice.config.PluginDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.sluice.metrics.Meters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * rate-limiting: fixed windows per second, minute and hour, counted per consumer, IP, route or header value,
 * on this node ({@code local}) or for the whole cluster in Redis ({@code redis}). Every answer carries
 * RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (of the tightest window); a refusal is 429 with
 * Retry-After.
 *
 * <p>Redis down or slower than redis.timeout_ms: the request is decided by the local fallback, the limit
 * divided by the live node count, counted in sluice_ratelimit_fallbacks_total; the node then skips Redis
 * for redis.retry_ms so that no request waits on a dead Redis. Each Redis call takes a lease of tokens
 * ({@link Leases}), so that a limit far from being reached does not cost a Redis call per request. What this
 * node took from Redis (a call in flight, a whole lease) is also counted locally, so a fallback starts from
 * all this node let through or may still let through in the window; what the fallback admits is owed to Redis
 * ({@link Owed}). With fault_tolerant false, Redis trouble answers 503 instead.
 */
public final class RateLimitPolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("rate-limiting", 910, RateLimitPolicy::create);
  private static final Logger LOG = LoggerFactory.getLogger(RateLimitPolicy.class);
  /** At most one WARN per plugin per this many ms about deciding without Redis: a dead Redis must not flood the log. */
  private static final long WARN_EVERY_MS = 10_000;
  /**
   * A node leases at most 1/(this x live nodes) of what is left of a window: a generous limit then costs
   * about one Redis call per window, a tight one a call per request (the lease is 1), and tokens left in
   * other nodes' leases hold back at most a twentieth of what was left.
   */
  private static final long LEASE_DIVISOR = 20;
  /** The answer's headers (IETF draft RateLimit fields), with their hashes kept from answer to answer. */
  private static final AsciiString LIMIT_HEADER = AsciiString.cached("RateLimit-Limit");
  private static final AsciiString REMAINING_HEADER = AsciiString.cached("RateLimit-Remaining");
  private static final AsciiString RESET_HEADER = AsciiString.cached("RateLimit-Reset");

  private final String pluginId;
  private final RateLimitConfig config;
  private final PolicyServices services;
  private final Windows windows;
  private final LocalLimiter local;
  private final RedisLimiter redis;
  /** What the fallback admitted that Redis has not counted yet (null with the local policy). */
  private final Owed owed;
  private final Counter fallbacks;
  private final Counter failures;
  private final Counter failOpen;
  private final Counter allowed;
  private final Counter limited;
  private final Leases leases = new Leases();
  /** System.nanoTime() from which the next WARN about deciding without Redis may be written. */
  private final AtomicLong nextWarn = new AtomicLong(System.nanoTime());

  private RateLimitPolicy(PluginDef plugin, RateLimitConfig config, PolicyServices services) {
    this.pluginId = plugin.id();
    this.config = config;
    this.services = services;
    this.windows = Windows.of(config);
    boolean useRedis = "redis".equals(config.policy());
    this.local = new LocalLimiter(services.shared(LocalCounters.class, LocalCounters::new), windows, useRedis);
    this.redis = useRedis ? new RedisLimiter(services::redis, windows) : null;
    this.owed = useRedis ? services.shared(Owed.class, Owed::new) : null;
    if (useRedis) {
      services.redisNeeded();
    }
    this.fallbacks = useRedis ? Counter.builder(Meters.RATELIMIT_FALLBACKS)
        .description("Requests decided by the local fallback limit because Redis was unreachable or slow")
        .register(services.registry()) : null;
    this.failures = useRedis ? Counter.builder(Meters.RATELIMIT_REDIS_FAILURES)
        .description("Redis calls of the rate limiter that failed or timed out")
        .register(services.registry()) : null;
    this.failOpen = useRedis ? Counter.builder(Meters.RATELIMIT_FAIL_OPEN)
        .description("Requests the local fallback admitted while Redis was slow or down; Redis counts them later")
        .register(services.registry()) : null;
    this.allowed = Counter.builder(Meters.RATELIMIT_DECISIONS).description("Rate-limit decisions, by result")
        .tags("policy", config.policy(), "result", "allowed").register(services.registry());
    this.limited = Counter.builder(Meters.RATELIMIT_DECISIONS).description("Rate-limit decisions, by result")
        .tags("policy", config.policy(), "result", "limited").register(services.registry());
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new RateLimitPolicy(plugin, PolicyType.config(plugin, RateLimitConfig.class), services);
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String identity = identity(call);
    String localKey = pluginId + '|' + identity + '|';
    if (redis == null) {
      return apply(call, local.check(localKey, 1, System.currentTimeMillis()));
    }
    long sent = System.nanoTime();
    // A lease's tokens are counted in Redis and, since it was taken, locally: usable while Redis is skipped too.
    Decision leased = leases.take(localKey, sent);
    if (leased != null) {
      return apply(call, leased);
    }
    if (!services.redisUsable()) {
      return fallback(call, localKey);
    }
    long sentMillis = System.currentTimeMillis();
    long[] debt = owed.take(localKey, windows, sentMillis);
    local.reserve(localKey, sentMillis);
    return call.traced("rate-limiting redis", "redis", () -> redis.take(pluginId + ':' + tag(identity),
            LEASE_DIVISOR * services.liveNodes(), debt).timeout(services.redisTimeoutMs(), TimeUnit.MILLISECONDS))
        .transform(ar -> {
          long now = System.currentTimeMillis();
          long granted = ar.succeeded() && ar.result().allowed() ? ar.result().lease() : 0;
          local.settle(localKey, sentMillis, now, granted);
          if (ar.failed()) {
            if (debt != null) {
              // Kept for the next call; counted twice if Redis ran this one after all (too few admitted, never
              // too many).
              owed.add(localKey, windows, sentMillis, debt);
            }
            failures.increment();
            services.redisFailed();
            warn(call, ar.cause());
            return fallback(call, localKey);
          }
          services.redisAnswered();
          RedisLimiter.Grant g = ar.result();
          if (!g.allowed()) {
            return apply(call, new Decision(false, g.limit(), 0, g.resetS(), g.retryAfterS()));
          }
          if (g.lease() > 1) {
            leases.put(localKey, new Leases.Lease(g.lease() - 1, sent + g.expiresMs() * 1_000_000L,
                g.remaining(), g.limit(), g.resetS(), sent), System.nanoTime());
          }
          return apply(call, new Decision(true, g.limit(), g.remaining() + g.lease() - 1, g.resetS(), 0));
        });
  }

  private Future<Verdict> fallback(PolicyCall call, String localKey) {
    fallbacks.increment();
    if (!config.faultTolerant()) {
      return Future.failedFuture(Refusal.unavailable("the rate limiter's store (Redis) is unavailable"));
    }
    long now = System.currentTimeMillis();
    Decision d = local.check(localKey, services.liveNodes(), now);
    if (d.allowed()) {
      failOpen.increment();
      owed.add(localKey, windows, now, null); // Redis counts it when it answers this identity again
    }
    return apply(call, d);
  }

  /** Says, at most every WARN_EVERY_MS, that this node decides without Redis for a while, and why. */
  private void warn(PolicyCall call, Throwable cause) {
    long now = System.nanoTime();
    long next = nextWarn.get();
    if (now - next < 0 || !nextWarn.compareAndSet(next, now + WARN_EVERY_MS * 1_000_000L)) {
      return;
    }
    LOG.warn("rate-limiting: a Redis call failed or took longer than redis.timeout_ms ({} ms): {}; for"
            + " redis.retry_ms ({} ms) this node decides by its local fallback ({}), which may admit more than"
            + " the limit across the cluster (sluice_ratelimit_fail_open_total: {} admitted so far)",
        services.redisTimeoutMs(), cause, services.redisRetryMs(),
        config.faultTolerant() ? "limit / live nodes" : "503, fault_tolerant is false", (long) failOpen.count(),
        kv("request_id", call.requestId()), kv("plugin_id", pluginId));
  }

  private Future<Verdict> apply(PolicyCall call, Decision d) {
    if (!config.hideClientHeaders()) {
      call.setResponseHeader(LIMIT_HEADER, Long.toString(d.limit()));
      call.setResponseHeader(REMAINING_HEADER, Long.toString(d.remaining()));
      call.setResponseHeader(RESET_HEADER, Long.toString(d.resetSeconds()));
    }
    if (d.allowed()) {
      allowed.increment();
      return CONTINUE;
    }
    limited.increment();
    return Future.failedFuture(new Refusal(429, "rate_limited", "API rate limit exceeded")
        .header("Retry-After", Long.toString(Math.max(1, d.retryAfterSeconds()))));
  }

  /**
   * Who is counted, within the route's tenant: a global plugin counts every tenant apart, so that equal
   * header values or addresses in two tenants never share a counter (consumers are apart by id anyway).
   */
  private String identity(PolicyCall call) {
    String tenant = call.tenant() == null ? "" : call.tenant();
    return tenant.length() + ":" + tenant + "|" + subject(call);
  }

  private String subject(PolicyCall call) {
    switch (config.limitBy()) {
      case "consumer" -> {
        if (call.consumer() != null) {
          return "c:" + call.consumer().id();
        }
      }
      case "route" -> {
        return "r:" + call.routeName();
      }
      case "header" -> {
        String v = call.request().getHeader(config.headerName());
        if (v != null) {
          return "h:" + v;
        }
      }
      default -> { }
    }
    var remote = call.request().remoteAddress();
    return "ip:" + (remote == null ? "" : remote.host());
  }

  /** The identity inside a hash tag: braces would end the tag early, and a long value is shortened. */
  private static String tag(String identity) {
    if (identity.length() <= 100 && identity.indexOf('{') < 0 && identity.indexOf('}') < 0) {
      return identity;
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return "#" + HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

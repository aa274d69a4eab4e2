package io.sluice.policy.cache;

import static io.sluice.policy.cache.SharedCache.has;

import io.micrometer.core.instrument.Counter;
import io.sluice.config.PluginDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyCall;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.sluice.policy.Verdict;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.core.net.HostAndPort;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import io.sluice.metrics.Meters;

/**
 * proxy-cache: answers kept in Redis, keyed by method, scheme, host (as the target is told it in X-Forwarded-Host:
 * as written, with its port), route, path, query and the values of vary_headers,
 * under {@code sluice:pc:{<plugin>}:<sha-256>} (one hash tag per plugin, so a purge of one plugin scans one
 * cluster slot). Every answer on the route says {@code X-Cache-Status: Hit|Miss|Bypass}. It runs last of the
 * request phase, after authentication and rate limiting, so a cached answer is never served to a client the
 * route refuses. It fails open: Redis down, slower than redis.timeout_ms, or a client that cannot be made from
 * redis.url (which the settings check when loaded): Bypass, the request goes to the target, and the node skips Redis
 * for redis.retry_ms (the cache is an optimisation, never a reason to fail a request); a store that fails costs a
 * later miss, nothing else. Every answer of a miss that is not stored is counted by reason ({@link Skip}). The
 * authenticated consumer is part of the key unless the plugin says entries
 * are {@code shared}; answers with Set-Cookie, {@code Cache-Control: private} or {@code no-store} are never
 * stored, nor those {@link SharedCache} forbids: a Vary the key does not cover, credentials of an
 * unauthenticated request.
 */
public final class ProxyCachePolicy implements Policy {

  public static final PolicyType TYPE = new PolicyType("proxy-cache", 100, ProxyCachePolicy::create);
  public static final String STATUS = "X-Cache-Status";
  /**
   * Headers of an upstream answer that describe this one exchange, not the resource: not stored. The upstream's
   * X-Cache-Status (a cache of its own) neither: a hit says its own, once. Its Age is stored, and a hit says it
   * plus the time the answer has been in Redis.
   */
  private static final Set<String> NOT_STORED = Set.of("x-request-id", "date", "connection", "keep-alive",
      "transfer-encoding", "set-cookie", "x-cache-status");
  /**
   * How long a store may take before it is counted as failed. No request waits on it, so it is not the lookup's
   * redis.timeout_ms: an answer of several MB (then written base64 in JSON) took longer than 100 ms to encode and
   * write on a loaded machine, and each such timeout told the node Redis was down. Far beyond what the largest
   * allowed answer (16 MiB) takes, short enough that a hung Redis is counted.
   */
  private static final long STORE_TIMEOUT_MS = 5_000;
  /**
   * 206 Partial Content: never stored, whatever status_codes says. The key does not hold the Range, so a part stored
   * under it was served whole to requests without Range or with another one; a stored 200 may answer a Range request
   * (RFC 9110 section 14.2 lets a server ignore Range), a stored part may not.
   */
  private static final int PARTIAL = 206;
  /** Why an answer was not stored: the reason tag of sluice_cache_store_skipped_total. */
  enum Skip {
    STATUS, SET_COOKIE, VARY, PRIVATE, CREDENTIALS, NO_CACHE, TOO_LARGE, TRAILERS, REDIS_TIMEOUT, REDIS_ERROR;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  private final String pluginId;
  private final ProxyCacheConfig config;
  private final PolicyServices services;
  /** vary_headers in lower case: the request headers the key holds, so an answer may Vary on them. */
  private final Set<String> keyedHeaders;

  private final Counter hits;
  private final Counter misses;
  private final Counter bypasses;
  private final Counter[] skipped = new Counter[Skip.values().length];

  private ProxyCachePolicy(PluginDef plugin, ProxyCacheConfig config, PolicyServices services) {
    this.pluginId = plugin.id();
    this.config = config;
    this.services = services;
    this.keyedHeaders = config.varyHeaders().stream().map(h -> h.toLowerCase(Locale.ROOT))
        .collect(Collectors.toUnmodifiableSet());
    this.hits = lookups(services, "hit");
    this.misses = lookups(services, "miss");
    this.bypasses = lookups(services, "bypass");
    for (Skip why : Skip.values()) {
      skipped[why.ordinal()] = Counter.builder(Meters.CACHE_STORE_SKIPPED)
          .description("Answers of a cache miss that were not stored, by reason").tags("reason", why.tag)
          .register(services.registry());
    }
    services.redisNeeded();
  }

  private static Counter lookups(PolicyServices services, String result) {
    return Counter.builder(Meters.CACHE_LOOKUPS).description("proxy-cache lookups, by result")
        .tags("result", result).register(services.registry());
  }

  static Policy create(PluginDef plugin, PolicyServices services) {
    return new ProxyCachePolicy(plugin, PolicyType.config(plugin, ProxyCacheConfig.class), services);
  }

  /** The key prefix of one plugin's entries (what a purge scans for). */
  public static String prefix(String pluginId) {
    return "sluice:pc:{" + pluginId + "}:";
  }

  @Override
  public Future<Verdict> onRequest(PolicyCall call) {
    String method = call.request().method().name();
    String cc = SharedCache.joined(call.request().headers(), "Cache-Control");
    if (!config.methods().contains(method) || !services.redisUsable()
        || (config.respectCacheControl() && cc != null && (has(cc, "no-cache") || has(cc, "no-store")))) {
      call.setResponseHeader(STATUS, "Bypass");
      bypasses.increment();
      return CONTINUE;
    }
    String key = key(call, method);
    return call.traced("proxy-cache redis", "redis", () -> lookup(key)).transform(ar -> {
      if (ar.failed()) {
        services.redisFailed();
        call.setResponseHeader(STATUS, "Bypass");
        bypasses.increment();
        return CONTINUE;
      }
      services.redisAnswered();
      CacheEntry entry = ar.result() == null ? null : CacheEntry.decode(ar.result().toBuffer());
      if (entry != null && entry.status() != PARTIAL) { // a part stored by an earlier version: a miss, replaced
        hits.increment();
        return Future.succeededFuture(hit(entry, call.request().headers()));
      }
      call.setResponseHeader(STATUS, "Miss");
      misses.increment();
      // Once a consumer is authenticated, the key holds it (or the plugin says shared): credentials are no bar.
      boolean foreign = call.consumer() == null && SharedCache.foreignCredentials(call.request().headers());
      call.captor((status, reason, headers) -> capture(key, foreign, status, reason, headers));
      return CONTINUE;
    });
  }

  private Verdict hit(CacheEntry entry, MultiMap request) {
    JsonArray headers = entry.headers();
    int status = entry.status();
    // A client revalidating what it holds (a browser's If-None-Match) gets 304 and no body, as from the target.
    boolean notModified = status == 200 && SharedCache.notModified(request, headers);
    Verdict answer = notModified ? Verdict.answer(304)
        : Verdict.answer(status, entry.body()).reason(entry.reason());
    long age = Math.max(0, System.currentTimeMillis() / 1000 - entry.stored());
    boolean aged = false;
    for (int i = 0; i < headers.size(); i++) {
      JsonArray h = headers.getJsonArray(i);
      String name = h.getString(0);
      if (name.equalsIgnoreCase("Age")) {
        age += aged ? 0 : SharedCache.age(h.getString(1)); // RFC 9111 section 5.1: stored Age plus time resident
        aged = true;
      } else if (!name.equalsIgnoreCase(STATUS) && !(notModified && name.equalsIgnoreCase("Content-Length"))) {
        answer.header(name, h.getString(1)); // X-Cache-Status: an entry of an earlier version may hold the upstream's
      }
    }
    answer.header("Age", Long.toString(age));
    answer.header(STATUS, "Hit");
    return answer;
  }

  /**
   * What to store of an answer, or null when it must not be stored; {@code foreignCredentials}: the request
   * sent Authorization or Cookie and no consumer was authenticated.
   */
  private PolicyCall.Capture capture(String key, boolean foreignCredentials, int status, String reason,
                                     MultiMap headers) {
    if (status == PARTIAL || !config.statusCodes().contains(status)) {
      return skip(Skip.STATUS);
    }
    if (headers.contains("Set-Cookie")) {
      return skip(Skip.SET_COOKIE);
    }
    if (!SharedCache.varyCovered(headers, keyedHeaders)) {
      return skip(Skip.VARY);
    }
    long ttl = config.ttlS();
    String cc = SharedCache.joined(headers, "Cache-Control");
    if (cc != null && (has(cc, "no-store") || has(cc, "private"))) {
      return skip(Skip.PRIVATE); // meant for one client only: a gateway's cache is shared, whatever the plugin says
    }
    if (foreignCredentials && !SharedCache.sharable(cc)) {
      return skip(Skip.CREDENTIALS); // made for the sender of those credentials, and nothing says another may have it
    }
    if (config.respectCacheControl()) {
      long fresh = Freshness.remaining(cc, headers);
      if ((cc != null && has(cc, "no-cache")) || fresh == 0) {
        return skip(Skip.NO_CACHE);
      }
      if (fresh > 0) {
        ttl = fresh;
      }
    }
    String length = headers.get("Content-Length");
    if (length != null && Long.parseLong(length.trim()) > config.maxBodyBytes()) {
      return skip(Skip.TOO_LARGE);
    }
    JsonArray kept = new JsonArray();
    headers.forEach((n, v) -> {
      if (!NOT_STORED.contains(n.toLowerCase(Locale.ROOT))) {
        kept.add(new JsonArray().add(n).add(v));
      }
    });
    long ttlS = ttl;
    // Only a phrase of the upstream's own (200 X) is kept: a hit answers the standard one anyway.
    String ownReason = reason == null || reason.equals(HttpResponseStatus.valueOf(status).reasonPhrase()) ? null
        : reason;
    return new PolicyCall.Capture() {
      private final Buffer body = Buffer.buffer();
      private boolean tooBig;

      @Override
      public void chunk(Buffer chunk) {
        if (!tooBig) {
          body.appendBuffer(chunk);
          tooBig = body.length() > config.maxBodyBytes();
        }
      }

      @Override
      public void end(MultiMap trailers) {
        if (tooBig) {
          skip(Skip.TOO_LARGE);
          return;
        }
        if (!trailers.isEmpty()) {
          skip(Skip.TRAILERS); // an entry holds none, and a hit without them is not the answer (gRPC's status)
          return;
        }
        Buffer entry = new CacheEntry(status, ownReason, kept, System.currentTimeMillis() / 1000, body).encode();
        // Fire and forget: a store that fails costs a later miss, nothing else (and the next lookups bypass).
        redisClient().compose(r -> r.send(Request.cmd(Command.SET).arg(key).arg(entry).arg("EX").arg(ttlS)))
            .timeout(STORE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
            .onFailure(err -> {
              skip(err instanceof java.util.concurrent.TimeoutException ? Skip.REDIS_TIMEOUT : Skip.REDIS_ERROR);
              services.redisFailed();
            });
      }
    };
  }

  /** Counts an answer not stored, and answers no capture. */
  private PolicyCall.Capture skip(Skip why) {
    skipped[why.ordinal()].increment();
    return null;
  }

  /** The stored entry under {@code key} (null: none), or a failure when Redis cannot answer in time. */
  private Future<Response> lookup(String key) {
    return redis().compose(api -> api.get(key)).timeout(services.redisTimeoutMs(), TimeUnit.MILLISECONDS);
  }

  /**
   * The node's Redis client, or a failure when it cannot be made from redis.url (Vert.x parses the URL then; the
   * settings refuse what is known to throw, this guards the rest): the same as Redis unreachable, so the cache
   * bypasses instead of failing the request, as the rate limiter falls back.
   */
  private Future<RedisAPI> redis() {
    try {
      return Future.succeededFuture(services.redis());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** The node's Redis client itself (an entry's body is sent as bytes), failing as {@link #redis()}. */
  private Future<Redis> redisClient() {
    try {
      return Future.succeededFuture(services.redisClient());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private String key(PolicyCall call, String method) {
    // The host and scheme too: a route may serve several hosts (*.example.com), and http and https, with
    // different answers. The host as the target is told it (X-Forwarded-Host, Forwarded's host=, and the Host
    // itself with preserve_host: case, port and a trailing dot as sent), not as routes match it: an answer made
    // for "victim.example:6666" (links built from X-Forwarded-Host) was served to "victim.example".
    HostAndPort authority = call.request().authority();
    String host = authority == null ? null
        : authority.port() > 0 ? authority.host() + ":" + authority.port() : authority.host();
    StringBuilder b = new StringBuilder(method).append('\n').append(call.secure() ? "https" : "http").append('\n')
        .append(host == null ? "" : host).append('\n').append(call.routeName()).append('\n')
        .append(call.path()).append('\n').append(call.query() == null ? "" : call.query());
    if (!config.shared() && call.consumer() != null) {
      b.append("\nconsumer:").append(call.consumer().id());
    }
    for (String h : config.varyHeaders()) {
      b.append('\n').append(h.toLowerCase(Locale.ROOT)).append(':');
      List<String> values = call.request().headers().getAll(h);
      b.append(String.join(",", values));
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
      return prefix(pluginId) + HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package io.sluice.admin;

import io.sluice.config.EntityType;
import io.sluice.policy.cache.ProxyCachePolicy;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The proxy-cache purge: {@code DELETE /proxy-cache} drops every cached answer, {@code DELETE
 * /proxy-cache/{pluginId}} those of one plugin (its keys share a hash tag: one slot to scan). Keys are found
 * with SCAN, never KEYS, so Redis keeps serving while a large cache is purged.
 */
final class CacheRoutes {

  /** Keys asked per SCAN step. */
  private static final int SCAN_COUNT = 1000;
  /** Longest a purge may take before it answers 503 (what it deleted so far stays deleted). */
  private static final long PURGE_TIMEOUT_MS = 30_000;
  /**
   * Longest one SCAN or DEL step may wait for Redis: a step of SCAN_COUNT keys takes milliseconds, so a Redis
   * silent this long is paused or gone (connected, but never answering), and the operator hears 503 now.
   */
  private static final long STEP_TIMEOUT_MS = 5_000;

  private CacheRoutes() {}

  static void mount(Router router, AdminContext context) {
    router.delete("/proxy-cache").handler(rc -> purge(rc, context, "sluice:pc:*"));
    router.delete("/proxy-cache/:pluginId").handler(rc -> {
      UUID id;
      try {
        id = Requests.id(rc, "pluginId", "plugin");
      } catch (ApiException e) {
        Replies.error(rc, e);
        return;
      }
      if (context.entities() == null) { // file mode: no plugin store to look the id up in
        purge(rc, context, ProxyCachePolicy.prefix(id.toString()) + "*");
        return;
      }
      // An id that names no proxy-cache plugin is 404, not a purge of nothing answered as done (a typo looked so).
      context.entities().read(EntityType.PLUGIN, id).onComplete(ar -> {
        if (ar.failed()) {
          Replies.failure(rc, ar.cause());
        } else if (ar.result() == null || !ProxyCachePolicy.TYPE.name().equals(ar.result().getString("name"))) {
          Replies.error(rc, 404, "not_found", "no proxy-cache plugin " + id);
        } else {
          purge(rc, context, ProxyCachePolicy.prefix(id.toString()) + "*");
        }
      });
    });
  }

  private static void purge(RoutingContext rc, AdminContext context, String pattern) {
    if (context.redis() == null) {
      Replies.error(rc, 503, "cache_unavailable", "this node has no Redis for proxy-cache");
      return;
    }
    Future<Long> purged;
    try {
      purged = scan(context.redis().get(), "0", pattern, 0).timeout(PURGE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      purged = Future.failedFuture(e); // the client cannot be made from redis.url: Redis is unavailable too
    }
    purged.onComplete(ar -> {
      if (ar.failed()) {
        Replies.error(rc, 503, "cache_unavailable", "Redis (redis.url) is unavailable: " + why(ar.cause()));
      } else {
        Replies.json(rc, 200, new JsonObject().put("purged", ar.result()));
      }
    });
  }

  private static Future<Long> scan(RedisAPI redis, String cursor, String pattern, long purged) {
    List<String> args = List.of(cursor, "MATCH", pattern, "COUNT", Integer.toString(SCAN_COUNT));
    return step(redis.scan(args)).compose(page -> {
      String next = page.get(0).toString();
      List<String> keys = new ArrayList<>();
      for (Response k : page.get(1)) {
        keys.add(k.toString());
      }
      Future<Long> deleted = keys.isEmpty() ? Future.succeededFuture(0L)
          : step(redis.del(keys)).map(Response::toLong);
      return deleted.compose(n -> "0".equals(next) ? Future.succeededFuture(purged + n)
          : scan(redis, next, pattern, purged + n));
    });
  }

  /** One call of the purge, failed with a message that says so when Redis stays silent past STEP_TIMEOUT_MS. */
  private static Future<Response> step(Future<Response> call) {
    return call.timeout(STEP_TIMEOUT_MS, TimeUnit.MILLISECONDS).recover(err -> Future.failedFuture(
        err instanceof TimeoutException ? new IllegalStateException("no answer within " + STEP_TIMEOUT_MS
            + " ms (paused or overloaded?)") : err));
  }

  /** What went wrong, for the operator. */
  private static String why(Throwable cause) {
    if (cause instanceof TimeoutException) {
      return "the purge took over " + PURGE_TIMEOUT_MS + " ms (what it deleted stays deleted)";
    }
    return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
  }
}

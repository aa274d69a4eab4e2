package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.Ports;
import io.sluice.testing.RedisServer;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DELETE /proxy-cache with Redis unusable answers 503 {@code cache_unavailable} naming Redis, in the admin API's
 * error shape, within seconds: a Redis paused (connected, never answering) held the purge for its whole 30 s
 * budget, and a client that cannot be made from redis.url was a 500.
 */
@ExtendWith(VertxExtension.class)
class ProxyCachePurgeTest {

  /** The purge's bound on one Redis step (CacheRoutes.STEP_TIMEOUT_MS) and what a busy machine adds to it. */
  private static final long BOUND_MS = 5_000 + 3_000;

  private Gateway gw;
  private RedisServer redis;

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Purges everything and checks the answer is the 503 naming Redis, within BOUND_MS; answers its message. */
  private String unavailable() {
    long start = System.nanoTime();
    Http.Reply r = gw.admin(HttpMethod.DELETE, "/proxy-cache", null);
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(503, r.status(), r.text());
    assertEquals("application/json", r.header("Content-Type"));
    JsonObject error = new JsonObject(r.text()).getJsonObject("error");
    assertEquals(503, error.getInteger("status"), r.text());
    assertEquals("cache_unavailable", error.getString("code"), r.text());
    assertTrue(error.getString("message").startsWith("Redis (redis.url) is unavailable: "), r.text());
    assertTrue(ms < BOUND_MS, "answered in " + ms + " ms");
    return error.getString("message");
  }

  @Test
  void a_paused_redis_is_503_within_the_step_timeout_and_the_purge_works_once_it_resumes(Vertx vertx) {
    redis = RedisServer.start();
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url()));
    redis.cli("SET", "sluice:pc:{p}:k", "v");
    redis.pause();
    assertTrue(unavailable().contains("no answer within 5000 ms"));
    redis.resume();
    Http.Reply r = gw.admin(HttpMethod.DELETE, "/proxy-cache", null);
    assertEquals(200, r.status(), r.text());
    assertEquals(1L, new JsonObject(r.text()).getLong("purged"), r.text());
  }

  @Test
  void nothing_listening_on_the_redis_port_is_503(Vertx vertx) {
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", "redis://127.0.0.1:" + Ports.free()));
    unavailable();
  }

  @Test
  void a_redis_client_that_cannot_be_made_is_503_not_500(Vertx vertx) {
    gw = Gateway.edited(vertx, Map.of(), TestNode.unmakeableRedisClient());
    String message = unavailable();
    assertTrue(message.contains("cannot be made from redis.url"), message);
    assertTrue(!message.contains("notanumber"), "the URL (it may carry a password) is never echoed: " + message);
  }
}

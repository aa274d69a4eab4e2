package io.sluice.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@code redis} check of /health/ready: not in use until a route's policy needs Redis, then in use, and DOWN
 * (the node DEGRADED, still ready) when its client cannot be made from redis.url: before, that read
 * {@code in_use: false}, UP, while every Redis-backed policy was on its fallback.
 */
@ExtendWith(VertxExtension.class)
class RedisHealthTest {

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

  private JsonObject ready() {
    Http.Reply r = gw.admin(io.vertx.core.http.HttpMethod.GET, "/health/ready", null); // the details: an operator's
    assertEquals(200, r.status(), "Redis is never critical: " + r.text());
    return new JsonObject(r.text());
  }

  private JsonObject redisCheck() {
    return ready().getJsonObject("checks").getJsonObject("redis");
  }

  @Test
  void a_redis_client_that_cannot_be_made_is_down_and_in_use_once_a_route_needs_redis(Vertx vertx) {
    gw = Gateway.edited(vertx, Map.of(), TestNode.unmakeableRedisClient());
    assertEquals(new JsonObject().put("status", "UP").put("critical", false).put("in_use", false), redisCheck(),
        "no policy needs Redis yet");

    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 100).put("policy", "redis"));
    JsonObject check = redisCheck();
    assertEquals("DOWN", check.getString("status"), "as soon as the route table holds the policy: " + check);
    assertEquals(true, check.getBoolean("in_use"), check.encode());
    String reason = check.getString("reason");
    assertTrue(reason.contains("cannot be made from redis.url"), reason);
    assertTrue(!reason.contains("notanumber"), "the URL (it may carry a password) is never echoed: " + reason);
    assertEquals("DEGRADED", ready().getString("status"));

    assertEquals(200, gw.get("/api/x").status(), "the local fallback decides");
    assertEquals("DOWN", redisCheck().getString("status"), "and it stays down after a request");
  }

  @Test
  void proxy_cache_puts_redis_in_use_and_a_reachable_one_is_up(Vertx vertx) {
    redis = RedisServer.start();
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url()));
    assertEquals(false, redisCheck().getBoolean("in_use"));
    gw.plugin("proxy-cache", "api", new JsonObject());
    assertEquals(new JsonObject().put("status", "UP").put("critical", false).put("in_use", true), redisCheck());
  }

  /**
   * The check follows Redis with no traffic: the node pings it every 2 s (an outside tester: UP with Redis down until
   * a request tried it, and DOWN for minutes after it came back until a request did).
   */
  @Test
  void the_check_follows_redis_down_and_back_with_no_request(Vertx vertx) {
    redis = RedisServer.start();
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "300"));
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 100).put("policy", "redis"));
    io.sluice.testing.Eventually.eventually("UP with Redis answering", () ->
        "UP".equals(redisCheck().getString("status")));
    redis.pause();
    io.sluice.testing.Eventually.eventually("DOWN once a PING times out, no request made", () ->
        "DOWN".equals(redisCheck().getString("status")));
    redis.resume();
    io.sluice.testing.Eventually.eventually("UP again once a PING is answered, no request made", () ->
        "UP".equals(redisCheck().getString("status")));
  }
}

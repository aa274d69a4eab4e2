package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * rate-limiting, local and in Redis: the limit is admitted once (also across nodes), every answer carries
 * the RateLimit-* headers, and Redis stopped or paused neither stalls requests past redis.timeout_ms nor
 * lets the limit go (the local fallback holds it).
 */
@ExtendWith(VertxExtension.class)
class RateLimitingTest {

  /** Redis timeout of these tests, and what a request may take beyond it (scheduling on a busy machine). */
  private static final long TIMEOUT_MS = 200;
  private static final long MARGIN_MS = 1_000;

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

  private Gateway gateway(Vertx vertx, String redisUrl) {
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redisUrl, "SLUICE_REDIS_TIMEOUT_MS", "" + TIMEOUT_MS,
        "SLUICE_REDIS_RETRY_MS", "500"));
    return gw;
  }

  /** Requests through {@code node} until {@code n} were sent; answers how many were admitted (200). */
  private int send(TestNode node, int n) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      Http.Reply r = gw.get(node, "/api/x");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms < TIMEOUT_MS + MARGIN_MS, "request " + i + " took " + ms + " ms");
      assertTrue(r.status() == 200 || r.status() == 429, r.status() + " " + r.text());
      assertNotNull(r.header("RateLimit-Remaining"), "every answer carries the headers");
      if (r.status() == 200) {
        ok++;
      }
    }
    return ok;
  }

  /** Fallback decisions of every node of the gateway (each node counts in its own registry). */
  private double fallbacks() {
    double sum = 0;
    for (var n : gw.nodes) {
      Counter c = n.node().registry().find("sluice.ratelimit.fallbacks").counter();
      sum += c == null ? 0 : c.count();
    }
    return sum;
  }

  @Test
  void local_limit_admits_the_limit_then_answers_429_with_retry_after(Vertx vertx) {
    gateway(vertx, "redis://127.0.0.1:6379");
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 3).put("limit_by", "ip"));
    for (int i = 0; i < 3; i++) {
      Http.Reply r = gw.get("/api/x");
      assertEquals(200, r.status());
      assertEquals("3", r.header("RateLimit-Limit"));
      assertEquals(String.valueOf(2 - i), r.header("RateLimit-Remaining"));
      long reset = Long.parseLong(r.header("RateLimit-Reset"));
      assertTrue(reset >= 1 && reset <= 3600, "reset " + reset);
    }
    Http.Reply refused = gw.get("/api/x");
    assertEquals(429, refused.status());
    assertEquals("rate_limited", new JsonObject(refused.text()).getJsonObject("error").getString("code"));
    var registry = gw.node().node().registry();
    assertEquals(3, registry.get("sluice.ratelimit.decisions").tags("policy", "local", "result", "allowed")
        .counter().count());
    assertEquals(1, registry.get("sluice.ratelimit.decisions").tags("policy", "local", "result", "limited")
        .counter().count());
    assertEquals("0", refused.header("RateLimit-Remaining"));
    long retry = Long.parseLong(refused.header("Retry-After"));
    assertTrue(retry >= 1 && retry <= 3600, "Retry-After " + retry);
    assertEquals(3, gw.backend.completed.size(), "refused requests never reached the upstream");
    assertEquals(200, gw.get("/open/x").status(), "another route is not limited");
  }

  @Test
  void the_redis_limiter_shared_by_two_nodes_admits_the_limit_once(Vertx vertx) {
    gateway(vertx, "redis://127.0.0.1:6379");
    TestNode second = gw.addNode();
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 10).put("policy", "redis")
        .put("limit_by", "route"));
    gw.awaitApplied(gw.db.configVersion());
    int admitted = 0;
    for (int i = 0; i < 15; i++) {
      admitted += send(gw.node(), 1) + send(second, 1);
    }
    assertEquals(10, admitted, "ten for the whole cluster, not ten per node");
  }

  /**
   * Requests that found no lease at the same moment each took one from Redis; the leases they replaced were dropped
   * with their tokens, already counted in Redis: a single node admitted 69 to 93 of 100 under 16 clients.
   */
  @Test
  void one_node_under_concurrent_clients_admits_exactly_the_limit(Vertx vertx) throws Exception {
    redis = RedisServer.start();
    gateway(vertx, redis.url());
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 100).put("policy", "redis")
        .put("limit_by", "route"));
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    java.net.URI uri = java.net.URI.create("http://127.0.0.1:" + gw.node().proxyPort() + "/api/x");
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger other = new java.util.concurrent.atomic.AtomicInteger();
    try {
      List<java.util.concurrent.Future<?>> clients = new java.util.ArrayList<>();
      for (int c = 0; c < 16; c++) {
        clients.add(pool.submit(() -> {
          for (int i = 0; i < 10; i++) {
            int status = client.send(java.net.http.HttpRequest.newBuilder(uri).build(),
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 200) {
              admitted.incrementAndGet();
            } else if (status != 429) {
              other.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (var f : clients) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0, other.get(), "every answer 200 or 429");
    assertEquals(100, admitted.get(), "160 requests from 16 clients at a limit of 100 an hour");
  }

  @Test
  void redis_stopped_under_traffic_falls_back_to_the_local_limit_without_waiting(Vertx vertx) {
    redis = RedisServer.start();
    gateway(vertx, redis.url());
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 40).put("policy", "redis")
        .put("limit_by", "ip"));
    double before = fallbacks();
    int admitted = send(gw.node(), 20);
    assertEquals(20, admitted);
    assertEquals(before, fallbacks(), "Redis answered every one");
    redis.stop();
    admitted += send(gw.node(), 60);
    assertTrue(admitted >= 40 && admitted <= 44, "the fallback holds the limit within 10%: " + admitted);
    assertTrue(fallbacks() - before >= 60, "every request after the stop was decided by the fallback");
    Http.Reply health = gw.http.get(gw.node().adminPort(), "/health/ready");
    assertEquals(200, health.status(), "Redis down does not make the node unready: " + health.text());
    assertEquals("DOWN", new JsonObject(health.text()).getJsonObject("checks").getJsonObject("redis")
        .getString("status"), health.text());
  }

  @Test
  void redis_paused_under_traffic_costs_at_most_the_timeout_and_the_limit_holds(Vertx vertx) {
    redis = RedisServer.start();
    gateway(vertx, redis.url());
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 30).put("policy", "redis")
        .put("limit_by", "ip"));
    int admitted = send(gw.node(), 10);
    redis.pause();
    admitted += send(gw.node(), 40);
    assertTrue(admitted >= 30 && admitted <= 33, "within 10% of the limit while paused: " + admitted);
    redis.resume();
    assertEquals("PONG", redis.cli("PING"));
  }

  @Test
  void fail_closed_answers_503_when_redis_is_down(Vertx vertx) {
    redis = RedisServer.start();
    gateway(vertx, redis.url());
    // A limit of 10 leases one token at a time: the next request needs Redis.
    gw.plugin("rate-limiting", "api", new JsonObject().put("minute", 10).put("policy", "redis")
        .put("fault_tolerant", false));
    assertEquals(200, gw.get("/api/x").status());
    redis.stop();
    Http.Reply r = gw.get("/api/x");
    assertEquals(503, r.status(), r.text());
    assertEquals("policy_unavailable", new JsonObject(r.text()).getJsonObject("error").getString("code"));
  }

  @Test
  void a_generous_limit_takes_leases_instead_of_a_redis_call_per_request(Vertx vertx) {
    redis = RedisServer.start();
    gateway(vertx, redis.url());
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 1_000_000).put("policy", "redis")
        .put("limit_by", "ip"));
    assertEquals(50, send(gw.node(), 50));
    String stats = redis.cli("INFO", "commandstats");
    long calls = stats.lines().filter(l -> l.startsWith("cmdstat_evalsha:") || l.startsWith("cmdstat_eval:"))
        .mapToLong(l -> Long.parseLong(l.replaceAll(".*calls=(\\d+).*", "$1"))).sum();
    assertTrue(calls >= 1 && calls <= 3, "one lease covers many requests: " + calls + " calls\n" + stats);
    Http.Reply r = gw.get("/api/x");
    assertEquals("1000000", r.header("RateLimit-Limit"));
    assertTrue(Long.parseLong(r.header("RateLimit-Remaining")) > 999_000, r.header("RateLimit-Remaining"));
  }

  @Test
  void noscript_after_a_script_flush_is_handled(Vertx vertx) {
    redis = RedisServer.start();
    gateway(vertx, redis.url());
    gw.plugin("rate-limiting", "api", new JsonObject().put("hour", 5).put("policy", "redis")
        .put("limit_by", "ip"));
    double before = fallbacks();
    assertEquals(2, send(gw.node(), 2));
    assertEquals("OK", redis.cli("SCRIPT", "FLUSH"));
    assertEquals(3, send(gw.node(), 6), "the count went on in Redis after the flush");
    assertEquals(before, fallbacks(), "no request needed the fallback");
  }

  @Test
  void its_schema_refuses_bad_configurations_naming_the_field(Vertx vertx) {
    gateway(vertx, "redis://127.0.0.1:6379");
    Http.Reply none = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "rate-limiting")
        .put("scope", "global").put("config", new JsonObject().put("policy", "redis")));
    assertEquals(400, none.status(), none.text());
    JsonArray missing = new JsonObject(none.text()).getJsonObject("error").getJsonArray("fields");
    assertEquals(1, missing.size(), "one of second, minute, hour is required, said once: " + missing.encode());
    assertEquals("config", missing.getJsonObject(0).getString("field"));
    assertEquals("needs one of: second, minute, hour", missing.getJsonObject(0).getString("reason"));
    Http.Reply header = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "rate-limiting")
        .put("scope", "global").put("config", new JsonObject().put("second", 0).put("limit_by", "header")));
    assertEquals(400, header.status(), header.text());
    JsonArray fields = new JsonObject(header.text()).getJsonObject("error").getJsonArray("fields");
    assertTrue(fields.encode().contains("config.second") && fields.encode().contains("header_name"),
        fields.encode());
  }
}

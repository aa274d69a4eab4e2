package io.sluice.policy.ratelimit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A redis limit on one node admits the limit and no more across a Redis pause: what the local fallback admitted
 * is counted in Redis when it answers again, and tokens the node holds in a lease are never admitted twice
 * (once from the lease, once by the fallback that did not know of them).
 */
@ExtendWith(VertxExtension.class)
class RedisFallbackCountTest {

  private RedisServer redis;
  private Gateway gw;

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private void start(Vertx vertx, long retryMs, JsonObject limit) {
    redis = RedisServer.start();
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "200",
        "SLUICE_REDIS_RETRY_MS", Long.toString(retryMs)));
    gw.plugin("rate-limiting", "api", limit.put("policy", "redis"));
  }

  private double failOpen() {
    var c = gw.node().node().registry().find("sluice.ratelimit.fail_open").counter();
    return c == null ? 0 : c.count();
  }

  /** Requests of client {@code who}; answers how many were admitted. */
  private int send(String who, int n) {
    int ok = 0;
    for (int i = 0; i < n; i++) {
      Http.Reply r = gw.get("/api/x", "X-Who", who);
      assertTrue(r.status() == 200 || r.status() == 429, r.status() + " " + r.text());
      ok += r.status() == 200 ? 1 : 0;
    }
    return ok;
  }

  /**
   * The outside tester's 54 of 50 in one minute: a Redis call slower than the timeout put the node on its
   * fallback, which admitted up to the limit from its own count; Redis never heard of those, and once it
   * answered again it admitted its whole remainder a second time.
   */
  @Test
  void what_the_fallback_admitted_is_counted_in_redis_when_it_answers_again(Vertx vertx) throws Exception {
    start(vertx, 300, new JsonObject().put("hour", 10).put("limit_by", "header").put("header_name", "X-Who"));
    int admitted = send("a", 3);
    redis.pause();
    try (CapturedLogs logs = CapturedLogs.of(Level.WARN, "io.sluice.policy.ratelimit")) {
      admitted += send("a", 10);
      assertEquals(7, failOpen(), "what the fallback admitted without Redis is counted");
      assertEquals(1, logs.atLeast(Level.WARN).stream().filter(l -> l.contains("local fallback")).count(),
          "one WARN for the episode: " + logs.atLeast(Level.WARN));
    }
    redis.resume();
    assertEquals("PONG", redis.cli("PING"));
    Thread.sleep(400); // past redis.retry_ms: the node asks Redis again
    admitted += send("a", 10);
    assertEquals(10, admitted, "a limit of 10 an hour, Redis paused and back");
    assertEquals(10, gw.backend.completed.size(), "the upstream saw the limit");
  }

  /**
   * Tokens leased from Redis were counted locally only as they were used: a fallback in between (another
   * client's Redis call timed out) admitted the limit from a count that lacked them, and the lease admitted
   * them after it.
   */
  @Test
  void tokens_held_in_a_lease_are_not_admitted_again_by_the_fallback(Vertx vertx) throws Exception {
    start(vertx, 3_000, new JsonObject().put("hour", 100).put("limit_by", "header").put("header_name", "X-Who"));
    int admitted = send("a", 1); // room 100: a lease of 5 tokens, 4 left on the node
    redis.pause();
    assertEquals(1, send("b", 1), "b's call times out; the fallback admits it");
    redis.resume();
    admitted += send("a", 110); // within redis.retry_ms: no Redis call
    Thread.sleep(3_200);
    admitted += send("a", 10);
    assertEquals(100, admitted, "a limit of 100 an hour for a");
  }
}

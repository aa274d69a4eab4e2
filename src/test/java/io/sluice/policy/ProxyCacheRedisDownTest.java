package io.sluice.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.settings.NodeSettings;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.Ports;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * proxy-cache fails open: a Redis that cannot be used (nothing listening on its port, or a Redis client that cannot
 * even be made) costs every request at most redis.timeout_ms and never its answer.
 * Each is proxied to the target and says {@code X-Cache-Status: Bypass}; nothing is logged at ERROR.
 */
@ExtendWith(VertxExtension.class)
class ProxyCacheRedisDownTest {

  private static final long TIMEOUT_MS = 200;
  /** redis.retry_ms of these tests: the requests below span several retries, so Redis is tried again. */
  private static final long RETRY_MS = 150;
  /** What a request may take beyond the Redis timeout (scheduling on a busy machine). */
  private static final long SLACK_MS = 1500;
  private static final int REQUESTS = 8;

  private Gateway gw;

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
  }

  private void everyRequestReachesTheTarget(Vertx vertx, String redisUrl, UnaryOperator<NodeSettings> edit)
      throws InterruptedException {
    gw = Gateway.edited(vertx, Map.of("SLUICE_REDIS_URL", redisUrl, "SLUICE_REDIS_TIMEOUT_MS", "" + TIMEOUT_MS,
        "SLUICE_REDIS_RETRY_MS", "" + RETRY_MS), edit);
    gw.plugin("proxy-cache", "api", new JsonObject());
    try (CapturedLogs logs = CapturedLogs.all()) {
      int before = gw.backend.started();
      for (int i = 0; i < REQUESTS; i++) {
        long start = System.nanoTime();
        Http.Reply r = gw.get("/api/page");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, r.status(), "request " + i + ": " + r.text());
        assertEquals("Bypass", r.header("X-Cache-Status"), "request " + i);
        assertTrue(ms < TIMEOUT_MS + SLACK_MS, "request " + i + " took " + ms + " ms");
        Thread.sleep(RETRY_MS / 2); // half the requests after a retry_ms passed: Redis is asked again
      }
      assertEquals(before + REQUESTS, gw.backend.started(), "every request reached the target");
      assertEquals(List.of(), logs.atLeast(Level.ERROR));
    }
  }

  @Test
  void nothing_listening_on_the_redis_port_is_bypass_and_every_request_reaches_the_target(Vertx vertx)
      throws InterruptedException {
    everyRequestReachesTheTarget(vertx, "redis://127.0.0.1:" + Ports.free(), UnaryOperator.identity());
  }

  /** The settings refuse such a redis.url (its database is not a number): past them, it still fails open. */
  @Test
  void a_redis_client_that_cannot_be_made_is_bypass(Vertx vertx) throws InterruptedException {
    everyRequestReachesTheTarget(vertx, "redis://127.0.0.1:6379", TestNode.unmakeableRedisClient());
  }
}

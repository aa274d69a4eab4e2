package io.sluice.policy.cache;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.sluice.testing.TcpProxy;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stores of proxy-cache: a large answer whose write takes longer than redis.timeout_ms is stored all the same
 * and leaves Redis usable; an answer that is not stored is counted by reason in sluice_cache_store_skipped_total.
 */
@ExtendWith(VertxExtension.class)
class ProxyCacheStoreTest {

  /** A large answer, as the outside tester's 4.1 and 4.3 MB ones. */
  private static final int LARGE = 4_300_000;

  private RedisServer redis;
  private TcpProxy relay;
  private Backend upstream;
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    redis = RedisServer.start();
    relay = TcpProxy.start(vertx, "127.0.0.1", redis.port());
    Buffer large = Buffer.buffer(new byte[LARGE]);
    upstream = Backend.start(vertx, req -> {
      switch (req.path()) {
        case "/api/large" -> req.response().end(large);
        case "/api/chunked" -> req.response().setChunked(true).write("x".repeat(600)).compose(v ->
            req.response().end("y".repeat(600)));
        case "/api/error" -> req.response().setStatusCode(500).end("no");
        default -> req.response().end("small");
      }
    });
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", "redis://127.0.0.1:" + relay.port(),
        "SLUICE_REDIS_TIMEOUT_MS", "200", "SLUICE_REDIS_RETRY_MS", "10000"), upstream.port());
  }

  @AfterEach
  void stop() {
    gw.close();
    upstream.close();
    relay.close();
    redis.close();
  }

  private double skipped(String reason) {
    var c = gw.node().node().registry().find("sluice.cache.store.skipped").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  /**
   * The store's write waited on the lookup's redis.timeout_ms: past it (a loaded machine encoding and writing
   * 4 MB), the node took Redis for down, bypassed the cache for redis.retry_ms (and put its rate limiters on
   * their fallback), and nothing said why the answer was not there on the next request.
   */
  @Test
  void a_large_answer_whose_store_is_slower_than_the_timeout_is_stored_and_redis_stays_usable() {
    gw.plugin("proxy-cache", "api", new JsonObject().put("max_body_bytes", 8_000_000));
    relay.delayFirst("\r\nset\r\n", 600); // the store reaches Redis 600 ms late: three times redis.timeout_ms
    Http.Reply miss = gw.get("/api/large");
    assertEquals("Miss", miss.header("X-Cache-Status"));
    assertEquals(LARGE, miss.body().length());
    eventually("the large answer stored", () -> Long.parseLong(redis.cli("DBSIZE")) == 1);
    assertTrue(relay.delayed(), "the store was delayed");
    Http.Reply hit = gw.get("/api/large");
    assertEquals("Hit", hit.header("X-Cache-Status"), "Redis was not taken for down by a slow store");
    assertEquals(LARGE, hit.body().length());
    assertEquals(0, skipped("redis_timeout") + skipped("redis_error"));
  }

  @Test
  void answers_not_stored_are_counted_by_reason() {
    gw.plugin("proxy-cache", "api", new JsonObject().put("max_body_bytes", 1_000));
    assertEquals("Miss", gw.get("/api/large").header("X-Cache-Status"));
    assertEquals(1, skipped("too_large"), "a declared length over max_body_bytes");
    assertEquals("Miss", gw.get("/api/chunked").header("X-Cache-Status"));
    eventually("a streamed answer passing max_body_bytes counted", () -> skipped("too_large") == 2);
    gw.get("/api/error");
    assertEquals(1, skipped("status"));
    gw.get("/api/small", "Cache-Control", "no-store");
    assertEquals("0", redis.cli("DBSIZE"), "none of them stored");
  }
}

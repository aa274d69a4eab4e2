package io.sluice.policy.cache;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The largest answers max_body_bytes allows are served from the cache once stored. */
@ExtendWith(VertxExtension.class)
class ProxyCacheLargeEntryTest {

  /** Near max_body_bytes' ceiling (16 MiB): stored in base64 JSON by earlier versions, 21.3 M chars. */
  private static final int HUGE = 16_000_000;

  private RedisServer redis;
  private Backend upstream;
  private Gateway gw;

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  /** Stored fine, then every hit was a 500 policy_error: the entry's base64 passed Jackson's 20 M chars. */
  @Test
  void a_stored_answer_of_16_mb_is_a_hit_not_a_policy_error(Vertx vertx) {
    redis = RedisServer.start();
    Buffer huge = Buffer.buffer(new byte[HUGE]);
    upstream = Backend.start(vertx, req -> req.response().end(huge));
    // Reading 21 MB back within the timeout: this test is about decoding, not a busy machine's Redis latency.
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "5000"),
        upstream.port());
    gw.plugin("proxy-cache", "api", new JsonObject().put("max_body_bytes", 16_777_216));
    assertEquals("Miss", gw.get("/api/huge").header("X-Cache-Status"));
    eventually("the answer stored", () -> Long.parseLong(redis.cli("DBSIZE")) == 1);
    Http.Reply hit = gw.get("/api/huge");
    assertEquals(200, hit.status(), hit.status() == 200 ? "" : hit.text());
    assertEquals("Hit", hit.header("X-Cache-Status"));
    assertEquals(HUGE, hit.body().length());
  }
}

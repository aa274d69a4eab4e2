package io.sluice.policy.cache;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * How proxy-cache keeps an answer in Redis: the body as its raw bytes after a small head, so a hit on an answer of
 * several MB is one GET of about its size, not a base64 JSON document of 4/3 of it parsed within redis.timeout_ms;
 * entries stored in the previous format are still served, and an entry that cannot be read is a miss, never a 500.
 */
@ExtendWith(VertxExtension.class)
class ProxyCacheEntryFormatTest {

  /** 6 MB streamed in chunks of 8 KiB (733 chunks): every byte value, so text encodings would show. */
  private static final int CHUNK = 8192;
  private static final int CHUNKS = 733;
  private static final byte[] BODY = new byte[CHUNK * CHUNKS];

  static {
    new Random(42).nextBytes(BODY);
  }

  private RedisServer redis;
  private Backend upstream;
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    redis = RedisServer.start();
    upstream = Backend.start(vertx, req -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("ETag", "\"v1\"");
      if (req.path().equals("/api/large")) {
        Future<Void> written = Future.succeededFuture();
        Buffer whole = Buffer.buffer(BODY);
        for (int i = 0; i < CHUNKS; i++) {
          Buffer chunk = whole.slice(i * CHUNK, (i + 1) * CHUNK);
          written = written.compose(v -> resp.write(chunk));
        }
        written.compose(v -> resp.end());
      } else {
        resp.end("fresh from upstream");
      }
    });
    // The node's default lookup timeout (100 ms) would make this test about the machine's load, not the format.
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "2000"),
        upstream.port());
    gw.plugin("proxy-cache", "api", new JsonObject().put("max_body_bytes", 8_000_000));
  }

  @AfterEach
  void stop() {
    gw.close();
    upstream.close();
    redis.close();
  }

  private String onlyKey() {
    eventually("the answer stored", () -> Long.parseLong(redis.cli("DBSIZE")) == 1);
    return redis.cli("KEYS", "sluice:pc:*");
  }

  private double skipped() {
    return gw.node().node().registry().find("sluice.cache.store.skipped").counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  @Test
  void a_multi_mb_answer_streamed_in_chunks_is_stored_as_raw_bytes_and_served_intact() {
    Http.Reply miss = gw.get("/api/large");
    assertEquals("Miss", miss.header("X-Cache-Status"));
    assertArrayEquals(BODY, miss.body().getBytes());
    String key = onlyKey();
    long stored = Long.parseLong(redis.cli("STRLEN", key));
    assertTrue(stored >= BODY.length && stored < BODY.length + 4096,
        "the entry holds the body's bytes and a small head, not base64 (4/3): " + stored + " for " + BODY.length);
    Http.Reply hit = gw.get("/api/large");
    assertEquals("Hit", hit.header("X-Cache-Status"));
    assertEquals(200, hit.status());
    assertArrayEquals(BODY, hit.body().getBytes(), "the body byte for byte");
    assertEquals("\"v1\"", hit.header("ETag"));
    Http.Reply revalidated = gw.get("/api/large", "If-None-Match", "\"v1\"");
    assertEquals(304, revalidated.status());
    assertEquals(0, revalidated.body().length());
    assertEquals(0, skipped(), "nothing skipped");
  }

  /** An entry stored by a node of the previous version (JSON, body in base64) is still a hit until its TTL ends. */
  @Test
  void an_entry_of_the_previous_format_is_still_served() {
    assertEquals("Miss", gw.get("/api/old").header("X-Cache-Status"));
    String key = onlyKey();
    String old = new JsonObject().put("status", 200)
        .put("headers", new JsonArray().add(new JsonArray().add("Content-Type").add("text/plain")))
        .put("body", Base64.getEncoder().encodeToString("stored before".getBytes()))
        .put("stored", System.currentTimeMillis() / 1000).encode();
    redis.cli("SET", key, old, "EX", "60");
    Http.Reply hit = gw.get("/api/old");
    assertEquals("Hit", hit.header("X-Cache-Status"));
    assertEquals("stored before", hit.text());
    assertEquals("text/plain", hit.header("Content-Type"));
  }

  /** What is not an entry (damaged, cut short, written by something else) is a miss and stored anew. */
  @Test
  void an_entry_that_cannot_be_read_is_a_miss_not_an_error() {
    assertEquals("Miss", gw.get("/api/bad").header("X-Cache-Status"));
    String key = onlyKey();
    String[] damaged = {"SPC\u0001\u0001\u0002\u0003\u0004{\"status\"", "SPC\u0001", "{\"status\": \"x\"}",
        "{not json", "plain text", ""};
    for (String entry : damaged) {
      redis.cli("SET", key, entry, "EX", "60");
      Http.Reply r = gw.get("/api/bad");
      assertEquals(200, r.status(), entry + ": " + r.text());
      assertEquals("Miss", r.header("X-Cache-Status"), entry);
      assertEquals("fresh from upstream", r.text());
      eventually("stored anew", () -> redis.cli("GET", key).endsWith("fresh from upstream"));
    }
  }
}

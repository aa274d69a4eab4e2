package io.sluice.policy;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * proxy-cache against a throwaway Redis: Miss then Hit by method, path, query and vary headers,
 * Cache-Control respected both ways, Bypass for other methods and while Redis is down, purge; what a
 * shared cache may not store (RFC 9111): an upstream's Vary the key does not cover, an answer to a request
 * with Authorization or Cookie.
 */
@ExtendWith(VertxExtension.class)
class ProxyCacheTest {

  private RedisServer redis;
  private Backend upstream;
  private Gateway gw;

  @BeforeEach
  void start(Vertx vertx) {
    redis = RedisServer.start();
    // Every answer is different (a counter), so a cached one is recognisable; ?cc=... sets Cache-Control,
    // ?vary=... sets Vary.
    int[] n = {0};
    upstream = Backend.start(vertx, req -> {
      String cc = req.getParam("cc");
      if (cc != null) {
        req.response().putHeader("Cache-Control", cc);
      }
      String etag = req.getParam("etag");
      if (etag != null) {
        req.response().putHeader("ETag", etag).putHeader("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT");
      }
      String vary = req.getParam("vary");
      if (vary != null) {
        req.response().putHeader("Vary", vary);
      }
      req.response().putHeader("X-Origin", "upstream").end("answer " + (++n[0]) + " lang="
          + req.getHeader("Accept-Language"));
    });
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "200"),
        upstream.port());
  }

  @AfterEach
  void stop() {
    gw.close();
    upstream.close();
    redis.close();
  }

  /** Waits until Redis holds {@code n} entries (an answer is stored just after it is sent). */
  private void stored(int n) {
    eventually(n + " answers stored in Redis", () -> Long.parseLong(redis.cli("DBSIZE")) >= n);
  }

  /**
   * Stores one answer that may be stored and waits for it: answers that must not be stored came before
   * it, so by then they would be in Redis too.
   */
  private void storedOnlyAfter(String uri) {
    gw.get(uri);
    stored(1);
    assertEquals("1", redis.cli("DBSIZE"), "only " + uri + " is stored");
  }

  private static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  private JsonObject cache(JsonObject config) {
    return gw.plugin("proxy-cache", "api", config);
  }

  /** A hit answers a revalidation as the target would: 304 and no body when the client's copy is current. */
  @Test
  void a_hit_answers_a_conditional_request_with_304_when_the_clients_copy_is_current() {
    cache(new JsonObject());
    String uri = "/api/c?etag=" + enc("\"v1\"");
    Http.Reply miss = gw.get(uri);
    assertEquals(200, miss.status());
    stored(1);
    Http.Reply current = gw.get(uri, "If-None-Match", "\"v0\", W/\"v1\"");
    assertEquals(304, current.status(), current.text());
    assertEquals("Hit", current.header("X-Cache-Status"));
    assertEquals("\"v1\"", current.header("ETag"), "the validator comes back with the 304");
    assertEquals(0, current.body().length());
    Http.Reply stale = gw.get(uri, "If-None-Match", "\"v0\"");
    assertEquals(200, stale.status());
    assertEquals(miss.text(), stale.text(), "another tag: the whole stored answer");
    assertEquals(304, gw.get(uri, "If-Modified-Since", "Wed, 02 Dec 2026 10:00:00 GMT").status());
    assertEquals(200, gw.get(uri, "If-Modified-Since", "Mon, 30 Nov 2026 10:00:00 GMT").status());
    assertEquals(200, gw.get(uri, "If-Modified-Since", "yesterday").status(), "an invalid date is ignored");
    // Found from outside: the tag on a second field line, and the two older date forms, were not read.
    assertEquals(304, gw.get(uri, "If-None-Match", "\"v0\"", "If-None-Match", "\"v1\"").status(), "two lines");
    assertEquals(304, gw.get(uri, "If-Modified-Since", "Wednesday, 02-Dec-26 10:00:00 GMT").status(), "RFC 850");
    assertEquals(304, gw.get(uri, "If-Modified-Since", "Wed Dec  2 10:00:00 2026").status(), "asctime");
    assertEquals(200, gw.get(uri, "If-Modified-Since", "Mon Nov 30 10:00:00 2026").status(), "asctime, before");
    assertEquals(1, upstream.requests.get(), "all from the cache");
  }

  @Test
  void a_second_identical_request_is_a_hit_and_never_reaches_the_upstream() {
    cache(new JsonObject().put("vary_headers", new JsonArray().add("Accept-Language")));
    Http.Reply miss = gw.get("/api/x?a=1", "Accept-Language", "en");
    assertEquals("Miss", miss.header("X-Cache-Status"));
    stored(1);
    Http.Reply hit = gw.get("/api/x?a=1", "Accept-Language", "en");
    assertEquals("Hit", hit.header("X-Cache-Status"));
    assertEquals(miss.text(), hit.text());
    assertEquals("upstream", hit.header("X-Origin"), "the stored head comes back");
    assertNotNull(hit.header("Age"));
    assertNotEquals(miss.header("X-Request-Id"), hit.header("X-Request-Id"), "the request id is this request's");
    assertEquals(1, upstream.requests.get());
    var registry = gw.node().node().registry();
    assertEquals(1, registry.get("sluice.cache.lookups").tags("result", "hit").counter().count());
    assertEquals(1, registry.get("sluice.cache.lookups").tags("result", "miss").counter().count());
    assertEquals("Miss", gw.get("/api/x?a=2", "Accept-Language", "en").header("X-Cache-Status"), "query");
    assertEquals("Miss", gw.get("/api/y?a=1", "Accept-Language", "en").header("X-Cache-Status"), "path");
    Http.Reply fr = gw.get("/api/x?a=1", "Accept-Language", "fr");
    assertEquals("Miss", fr.header("X-Cache-Status"), "a vary header's value is part of the key");
    assertTrue(fr.text().endsWith("lang=fr"));
    Http.Reply post = gw.call(gw.node(), HttpMethod.POST, "/api/x?a=1", null);
    assertEquals("Bypass", post.header("X-Cache-Status"));
    assertEquals(5, upstream.requests.get());
  }

  @Test
  void cache_control_is_respected_both_ways() {
    cache(new JsonObject());
    gw.get("/api/x?cc=no-store");
    assertEquals("Miss", gw.get("/api/x?cc=no-store").header("X-Cache-Status"), "no-store answers are not kept");
    gw.get("/api/x?cc=private");
    assertEquals("Miss", gw.get("/api/x?cc=private").header("X-Cache-Status"));
    // A max-age that is not a number of seconds makes the answer stale (RFC 9111 4.2.1): it was stored for ttl_s.
    for (String invalid : new String[] {"max-age=-1", "max-age=abc"}) {
      gw.get("/api/x?cc=" + invalid);
      assertEquals("Miss", gw.get("/api/x?cc=" + invalid).header("X-Cache-Status"), invalid);
    }
    gw.get("/api/x?cc=max-age=60");
    stored(1);
    Http.Reply hit = gw.get("/api/x?cc=max-age=60");
    assertEquals("Hit", hit.header("X-Cache-Status"));
    assertNotNull(hit.header("Date"), "the stored Date is not kept: a hit is dated now (RFC 9110 6.6.1)");
    long ttl = Long.parseLong(redis.cli("--scan", "--pattern", "sluice:pc:*").lines()
        .map(k -> redis.cli("TTL", k)).findFirst().orElse("-1"));
    assertTrue(ttl > 0 && ttl <= 60, "max-age is the TTL: " + ttl);
    assertEquals("Bypass", gw.get("/api/x?cc=max-age=60", "Cache-Control", "no-cache").header("X-Cache-Status"));
  }

  @Test
  void purge_drops_a_plugins_answers_and_redis_down_is_bypass() {
    JsonObject plugin = cache(new JsonObject());
    gw.get("/api/x");
    stored(1);
    assertEquals("Hit", gw.get("/api/x").header("X-Cache-Status"));
    Http.Reply purge = gw.admin(HttpMethod.DELETE, "/proxy-cache/" + plugin.getString("id"), null);
    assertEquals(200, purge.status(), purge.text());
    assertEquals(1, new JsonObject(purge.text()).getInteger("purged"));
    assertEquals("Miss", gw.get("/api/x").header("X-Cache-Status"));
    // An id that names no proxy-cache plugin is 404, not {"purged": 0}: a typo must not look like a purge.
    Http.Reply unknown = gw.admin(HttpMethod.DELETE, "/proxy-cache/" + java.util.UUID.randomUUID(), null);
    assertEquals(404, unknown.status(), unknown.text());
    stored(1);
    assertEquals(1, new JsonObject(gw.admin(HttpMethod.DELETE, "/proxy-cache", null).text()).getInteger("purged"));
    redis.stop();
    Http.Reply down = gw.get("/api/x");
    assertEquals(200, down.status());
    assertEquals("Bypass", down.header("X-Cache-Status"));
    assertEquals(503, gw.admin(HttpMethod.DELETE, "/proxy-cache", null).status());
  }

  @Test
  void its_schema_refuses_bad_configurations_naming_the_field() {
    Http.Reply bad = gw.admin(HttpMethod.POST, "/plugins", new JsonObject().put("name", "proxy-cache")
        .put("scope", "global").put("config", new JsonObject().put("ttl_s", 0).put("methods", new JsonArray().add("POST"))));
    assertEquals(400, bad.status());
    assertTrue(bad.text().contains("config.ttl_s") && bad.text().contains("config.methods[0]"), bad.text());
  }

  @Test
  void one_consumers_answer_is_never_served_to_another_unless_the_plugin_says_shared() {
    gw.plugin("key-auth", "api", new JsonObject());
    cache(new JsonObject());
    String alice = gw.key(gw.consumer("alice"));
    // Another consumer of the route's tenant (one of another tenant would not even authenticate).
    String bob = gw.key(gw.consumer("bob"));
    Http.Reply first = gw.get("/api/mine", "apikey", alice);
    assertEquals("Miss", first.header("X-Cache-Status"));
    stored(1);
    Http.Reply again = gw.get("/api/mine", "apikey", alice);
    assertEquals("Hit", again.header("X-Cache-Status"), "the same consumer gets its own answer from the cache");
    Http.Reply other = gw.get("/api/mine", "apikey", bob);
    assertEquals("Miss", other.header("X-Cache-Status"), "another consumer never gets alice's answer");
    assertNotEquals(first.text(), other.text());
  }

  @Test
  void private_no_store_and_set_cookie_answers_are_never_stored_even_when_cache_control_is_ignored() {
    cache(new JsonObject().put("respect_cache_control", false));
    for (String cc : List.of("private", "no-store", "max-age=60, private")) {
      String uri = "/api/p?cc=" + java.net.URLEncoder.encode(cc, java.nio.charset.StandardCharsets.UTF_8);
      assertEquals("Miss", gw.get(uri).header("X-Cache-Status"));
      assertEquals("Miss", gw.get(uri).header("X-Cache-Status"), cc + " must not be stored");
    }
    assertEquals("0", redis.cli("DBSIZE"));
  }

  @Test
  void an_answer_varying_on_a_header_the_key_does_not_hold_is_never_served_for_another_value() {
    cache(new JsonObject());
    assertEquals("Miss", gw.get("/api/v?vary=Accept-Language", "Accept-Language", "ja").header("X-Cache-Status"));
    gw.get("/api/star?vary=*");
    gw.get("/api/two?vary=" + enc("Accept-Language, Accept-Encoding"), "Accept-Language", "ja");
    storedOnlyAfter("/api/sentinel");
    Http.Reply en = gw.get("/api/v?vary=Accept-Language", "Accept-Language", "en");
    assertEquals("Miss", en.header("X-Cache-Status"), "the answer made for ja is not served for en");
    assertTrue(en.text().endsWith("lang=en"), en.text());
    assertEquals("Miss", gw.get("/api/star?vary=*").header("X-Cache-Status"), "Vary: * is never stored");
  }

  @Test
  void an_answer_varying_only_on_vary_headers_is_stored_per_value() {
    cache(new JsonObject().put("vary_headers", new JsonArray().add("Accept-Language").add("Accept-Encoding")));
    String half = "/api/half?vary=" + enc("Accept-Language, User-Agent");
    gw.get(half, "Accept-Language", "ja");
    String uri = "/api/v?vary=" + enc("accept-language, Accept-Encoding");
    assertEquals("Miss", gw.get(uri, "Accept-Language", "ja").header("X-Cache-Status"));
    stored(1);
    Http.Reply ja = gw.get(uri, "Accept-Language", "ja");
    assertEquals("Hit", ja.header("X-Cache-Status"), "Vary names only headers of the key: stored");
    assertEquals("1", redis.cli("DBSIZE"), "one header outside vary_headers is enough not to store");
    Http.Reply en = gw.get(uri, "Accept-Language", "en");
    assertEquals("Miss", en.header("X-Cache-Status"));
    assertTrue(en.text().endsWith("lang=en"), en.text());
  }

  @Test
  void an_answer_to_a_request_with_authorization_or_cookie_is_stored_only_when_it_says_it_may_be_shared() {
    cache(new JsonObject());
    gw.get("/api/basic", "Authorization", "Basic YWxpY2U6cHc=");
    gw.get("/api/cookie", "Cookie", "session=alice");
    storedOnlyAfter("/api/sentinel");
    Http.Reply anonymous = gw.get("/api/basic");
    assertEquals("Miss", anonymous.header("X-Cache-Status"), "alice's answer is not given to an anonymous client");
    assertEquals("Miss", gw.get("/api/cookie").header("X-Cache-Status"), "nor the answer to her cookie");
    int n = 1;
    for (String cc : List.of("public, max-age=60", "s-maxage=60", "must-revalidate")) {
      String uri = "/api/shared?cc=" + enc(cc);
      gw.get(uri, "Authorization", "Basic YWxpY2U6cHc=", "Cookie", "session=alice");
      stored(++n);
      assertEquals("Hit", gw.get(uri).header("X-Cache-Status"), cc + " says it may be shared");
    }
  }

  @Test
  void on_a_route_with_authentication_a_consumers_answers_are_stored_whatever_credentials_it_sends() {
    gw.plugin("key-auth", "api", new JsonObject());
    cache(new JsonObject());
    String alice = gw.key(gw.consumer("alice"));
    String bob = gw.key(gw.consumer("bob"));
    String[] aliceWithCredentials = {"apikey", alice, "Authorization", "Basic YWxpY2U6cHc=", "Cookie", "s=1"};
    assertEquals("Miss", gw.get("/api/mine", aliceWithCredentials).header("X-Cache-Status"));
    stored(1);
    assertEquals("Hit", gw.get("/api/mine", aliceWithCredentials).header("X-Cache-Status"),
        "the key holds the consumer: her own answer is hers");
    assertEquals("Miss", gw.get("/api/mine", "apikey", bob).header("X-Cache-Status"));
  }
}

package io.sluice.policy.cache;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.DateFormatter;
import io.sluice.testing.Backend;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What proxy-cache reads of an answer's head and replays of it, as an outside tester found it: every field line of
 * Cache-Control (RFC 9110 section 5.3), never a 206 under the whole resource's key, one Age and one X-Cache-Status
 * on a hit, no answer that ended with trailers, no answer already expired, the stored reason phrase.
 */
@ExtendWith(VertxExtension.class)
class ProxyCacheAnswerHeadTest {

  private RedisServer redis;
  private Backend upstream;
  private Gateway gw;
  private Http client;

  @BeforeEach
  void start(Vertx vertx) {
    redis = RedisServer.start();
    // Every answer is different (a counter), so a cached one is recognisable; each ?cc= is one Cache-Control line.
    int[] n = {0};
    upstream = Backend.start(vertx, req -> {
      HttpServerResponse resp = req.response();
      req.params().getAll("cc").forEach(cc -> resp.headers().add("Cache-Control", cc));
      String body = "answer " + (++n[0]) + " for " + req.getHeader("Cookie");
      String expires = req.getParam("expires");
      if (expires != null) {
        resp.putHeader("Expires", expires);
      }
      String age = req.getParam("age");
      if (age != null) { // the answer of a cache in front of the upstream
        resp.putHeader("Age", age).putHeader("X-Cache-Status", "Upstream");
      }
      if (req.path().equals("/api/reason")) {
        resp.setStatusMessage("X").end(body);
      } else if (req.path().equals("/api/trailers")) {
        resp.setChunked(true).write(body).compose(v -> {
          resp.trailers().add("X-Checksum", "c0ffee");
          return resp.end();
        });
      } else if (req.path().equals("/api/range") && req.getHeader("Range") != null) {
        resp.setStatusCode(206).putHeader("Content-Range", "bytes 0-3/20").end(body.substring(0, 4));
      } else {
        resp.end(body);
      }
    });
    gw = new Gateway(vertx, Map.of("SLUICE_REDIS_URL", redis.url(), "SLUICE_REDIS_TIMEOUT_MS", "2000"),
        upstream.port());
    client = new Http(vertx);
  }

  @AfterEach
  void stop() {
    client.close();
    gw.close();
    upstream.close();
    redis.close();
  }

  private double skipped(String reason) {
    var c = gw.node().node().registry().find("sluice.cache.store.skipped").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  /** Stores one answer that may be stored and waits for it: those that must not be stored came before it. */
  private void storedOnlyAfter(String uri) {
    gw.get(uri);
    eventually(uri + " stored", () -> Long.parseLong(redis.cli("DBSIZE")) >= 1);
    assertEquals("1", redis.cli("DBSIZE"), "only " + uri + " is stored");
  }

  /** An entry as an earlier version stored it (JSON, body in base64), with [name, value] header pairs. */
  private static String legacy(int status, String body, String... headers) {
    JsonArray pairs = new JsonArray();
    for (int i = 0; i < headers.length; i += 2) {
      pairs.add(new JsonArray().add(headers[i]).add(headers[i + 1]));
    }
    return new JsonObject().put("status", status).put("headers", pairs).put("stored", System.currentTimeMillis() / 1000)
        .put("body", Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8))).encode();
  }

  private static String lines(String first, String second) {
    return "?cc=" + enc(first) + "&cc=" + enc(second);
  }

  private static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Only the first Cache-Control line was read: {@code public} then {@code private} was stored, and the answer
   * personalised for alice's Cookie was served to bob.
   */
  @Test
  void a_second_cache_control_line_that_forbids_storing_is_read() {
    gw.plugin("proxy-cache", "api", new JsonObject());
    String personal = "/api/personal" + lines("public", "private");
    assertTrue(gw.get(personal, "Cookie", "user=alice").text().endsWith("user=alice"));
    Http.Reply bob = gw.get(personal, "Cookie", "user=bob");
    assertEquals("Miss", bob.header("X-Cache-Status"));
    assertTrue(bob.text().endsWith("user=bob"), "alice's answer was served to bob: " + bob.text());
    List<String[]> pairs = List.of(new String[] {"max-age=60", "no-store"}, new String[] {"public", "no-cache"},
        new String[] {"max-age=60", "s-maxage=0"}, new String[] {"max-age=60", "max-age=0"});
    for (String[] pair : pairs) {
      String uri = "/api/pair" + lines(pair[0], pair[1]);
      gw.get(uri);
      assertEquals("Miss", gw.get(uri).header("X-Cache-Status"), pair[0] + " then " + pair[1]);
    }
    storedOnlyAfter("/api/one" + lines("public", "max-age=60"));
    assertEquals(4, skipped("private"), "private, no-store: each of the two requests");
    assertEquals(6, skipped("no_cache"), "no-cache, s-maxage=0, max-age twice: each of the two requests");
  }

  /** A request's {@code max-age=0} and {@code no-store} on two lines bypass as one line with both would. */
  @Test
  void a_second_cache_control_line_of_the_request_is_read() {
    gw.plugin("proxy-cache", "api", new JsonObject());
    Http.Reply r = gw.get("/api/req", "Cache-Control", "max-age=0", "Cache-Control", "no-store");
    assertEquals("Bypass", r.header("X-Cache-Status"));
    storedOnlyAfter("/api/other");
  }

  /**
   * A 206 was stored under the whole resource's key (status_codes listing 206): a request without Range got the
   * stored part. A part is never stored now, nor served when an earlier version stored one; a stored 200 still
   * answers a Range request, whole (RFC 9110 section 14.2: a server may ignore Range).
   */
  @Test
  void a_partial_answer_is_never_stored_and_never_served_from_the_cache() {
    gw.plugin("proxy-cache", "api", new JsonObject().put("status_codes", new JsonArray().add(200).add(206)));
    assertEquals(206, gw.get("/api/range", "Range", "bytes=0-3").status());
    Http.Reply whole = gw.get("/api/range");
    assertEquals("Miss", whole.header("X-Cache-Status"), "the part was served for the whole: " + whole.text());
    assertEquals(200, whole.status());
    assertEquals(1, skipped("status"), "the 206");
    storedOnlyAfter("/api/range");
    Http.Reply ranged = gw.get("/api/range", "Range", "bytes=0-3");
    assertEquals("Hit", ranged.header("X-Cache-Status"));
    assertEquals(200, ranged.status());
    assertTrue(ranged.text().startsWith("answer "), "the whole stored answer: " + ranged.text());
    String key = redis.cli("KEYS", "sluice:pc:*");
    for (String[] range : List.of(new String[0], new String[] {"Range", "bytes=0-3"})) {
      redis.cli("SET", key, legacy(206, "part", "Content-Range", "bytes 0-3/20"), "EX", "60");
      Http.Reply r = gw.get("/api/range", range);
      assertEquals("Miss", r.header("X-Cache-Status"), "a part stored by an earlier version is not served");
      assertTrue(r.text().startsWith("answ"), r.text());
    }
  }

  /**
   * A hit replayed the upstream's Age and X-Cache-Status and added its own: {@code Age: 100}, {@code X-Cache-Status:
   * Upstream}, {@code Age: 1}, {@code X-Cache-Status: Hit}. One of each now, the Age being the stored one plus the
   * seconds in the cache (RFC 9111 section 5.1); an answer whose Age already passes its max-age is not stored.
   */
  @Test
  void a_hit_carries_one_age_counted_from_the_upstreams_and_one_cache_status() {
    gw.plugin("proxy-cache", "api", new JsonObject());
    gw.get("/api/stale?age=100&cc=max-age%3D60");
    String uri = "/api/aged?age=100&cc=max-age%3D600";
    Http.Reply miss = gw.get(uri);
    assertEquals(List.of("Miss"), miss.headers().getAll("X-Cache-Status"));
    storedOnlyAfter(uri);
    assertEquals(1, skipped("no_cache"), "100 s old with max-age=60: stale already");
    long ttl = Long.parseLong(redis.cli("TTL", redis.cli("KEYS", "sluice:pc:*")));
    assertTrue(ttl > 490 && ttl <= 500, "fresh for max-age less Age: " + ttl);
    Http.Reply hit = gw.get(uri);
    assertEquals(List.of("Hit"), hit.headers().getAll("X-Cache-Status"));
    List<String> age = hit.headers().getAll("Age");
    assertEquals(1, age.size(), age.toString());
    long seconds = Long.parseLong(age.get(0));
    assertTrue(seconds >= 100 && seconds <= 110, "the upstream's 100 s and the time in the cache: " + seconds);
    // An entry stored by an earlier version holds the upstream's X-Cache-Status: not replayed either.
    String key = redis.cli("KEYS", "sluice:pc:*");
    redis.cli("SET", key, legacy(200, "old", "X-Cache-Status", "Upstream", "Age", "7"), "EX", "60");
    Http.Reply old = gw.get(uri);
    assertEquals(List.of("Hit"), old.headers().getAll("X-Cache-Status"));
    assertEquals(1, old.headers().getAll("Age").size());
    assertTrue(Long.parseLong(old.header("Age")) >= 7, old.header("Age"));
  }

  /** A hit lost the trailers the answer ended with: such an answer is not stored, and counted as {@code trailers}. */
  @Test
  void an_answer_that_ends_with_trailers_is_not_stored() {
    gw.plugin("proxy-cache", "api", new JsonObject());
    Http.Reply first = gw.get("/api/trailers");
    assertEquals("Miss", first.header("X-Cache-Status"));
    eventually("the answer with trailers counted", () -> skipped("trailers") == 1);
    assertEquals("Miss", gw.get("/api/trailers").header("X-Cache-Status"));
    eventually("counted again", () -> skipped("trailers") == 2);
    storedOnlyAfter("/api/plain");
  }

  /**
   * An answer whose Expires had passed, or was not a date ({@code Expires: 0}), and without max-age was stored and
   * served fresh for ttl_s. It is stale (RFC 9111 sections 4.2.1 and 5.3): not stored. An Expires to come is the TTL,
   * as max-age is; a max-age wins over Expires.
   */
  @Test
  void an_answer_already_expired_is_not_stored_and_a_future_expires_is_its_ttl() {
    gw.plugin("proxy-cache", "api", new JsonObject().put("ttl_s", 3600));
    for (String expires : List.of("Thu, 01 Jan 2015 00:00:00 GMT", "0")) {
      String uri = "/api/expired?expires=" + enc(expires);
      gw.get(uri);
      assertEquals("Miss", gw.get(uri).header("X-Cache-Status"), expires);
    }
    String later = DateFormatter.format(new Date(System.currentTimeMillis() + 120_000));
    storedOnlyAfter("/api/later?expires=" + enc(later));
    assertEquals(4, skipped("no_cache"));
    long ttl = Long.parseLong(redis.cli("TTL", redis.cli("KEYS", "sluice:pc:*")));
    assertTrue(ttl > 100 && ttl <= 120, "fresh until Expires, not for ttl_s: " + ttl);
    String uri = "/api/maxage?cc=max-age%3D60&expires=" + enc("Thu, 01 Jan 2015 00:00:00 GMT");
    gw.get(uri);
    eventually("max-age wins over Expires", () -> redis.cli("DBSIZE").equals("2"));
  }

  /** The status line of an answer through the gateway: code and reason phrase. */
  private String statusLine(String uri) {
    RequestOptions o = new RequestOptions().setHost("127.0.0.1").setPort(gw.node().proxyPort()).setURI(uri);
    return client.onContext(c -> c.request(o).compose(HttpClientRequest::send)
        .compose(r -> r.body().map(b -> r.statusCode() + " " + r.statusMessage() + " "
            + r.getHeader("X-Cache-Status")))).await();
  }

  /** A hit answered {@code 200 OK} where the upstream said {@code 200 X}: the stored phrase now. */
  @Test
  void a_hit_keeps_the_upstreams_reason_phrase() {
    gw.plugin("proxy-cache", "api", new JsonObject());
    assertEquals("200 X Miss", statusLine("/api/reason"));
    storedOnlyAfter("/api/reason");
    assertEquals("200 X Hit", statusLine("/api/reason"));
    gw.get("/api/plain"); // a standard phrase: the hit says the standard one
    eventually("both stored", () -> redis.cli("DBSIZE").equals("2"));
    assertEquals("200 OK Hit", statusLine("/api/plain"));
  }
}

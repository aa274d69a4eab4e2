package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
class ForwardingHeadersTest {

  private Backend backend;
  private TestNode node;
  private Http http;
  private final AtomicReference<MultiMap> upstreamHeaders = new AtomicReference<>();

  @BeforeEach
  void start(Vertx vertx) {
    backend = Backend.start(vertx, req -> {
      upstreamHeaders.set(req.headers());
      req.response()
          .putHeader("Connection", "close, X-Secret-Hop")
          .putHeader("X-Secret-Hop", "hop")
          .putHeader("Keep-Alive", "timeout=5")
          .putHeader("Proxy-Authenticate", "Basic")
          .putHeader("X-Kept", "yes")
          .end("ok");
    });
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()));
    http = new Http(vertx);
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
  }

  private Http.Reply get(RequestOptions options) {
    return http.call(options.setPort(node.proxyPort()).setHost("127.0.0.1"));
  }

  @Test
  void adds_forwarding_headers_and_generates_a_request_id() {
    Http.Reply resp = get(new RequestOptions().setURI("/x").putHeader("Host", "api.example.com:8080"));
    assertEquals(200, resp.status());
    MultiMap h = upstreamHeaders.get();
    assertEquals("127.0.0.1", h.get("X-Forwarded-For"));
    assertEquals("http", h.get("X-Forwarded-Proto"));
    assertEquals("api.example.com:8080", h.get("X-Forwarded-Host"));
    assertEquals("1.1 sluice", h.get("Via"));
    String id = h.get("X-Request-Id");
    assertNotNull(id);
    assertEquals(32, id.length());
    assertEquals(id, resp.header("X-Request-Id"));
    assertEquals("127.0.0.1:" + backend.port(), h.get("Host"));
  }

  @Test
  void passes_an_existing_request_id_and_appends_to_forwarded_for() {
    get(new RequestOptions().setURI("/x").putHeader("X-Request-Id", "abc-123")
        .putHeader("X-Forwarded-For", "203.0.113.9").putHeader("Via", "1.1 edge"));
    MultiMap h = upstreamHeaders.get();
    assertEquals("abc-123", h.get("X-Request-Id"));
    assertEquals("203.0.113.9, 127.0.0.1", h.get("X-Forwarded-For"));
    assertEquals("1.1 edge, 1.1 sluice", h.get("Via"));
  }

  /**
   * Found from outside: of a list header sent as several field lines, only the first went upstream (X-Forwarded-For:
   * 10.1.1.1 then X-Forwarded-For: 8.8.8.8 arrived as "10.1.1.1, 127.0.0.1", while ip-restriction read both lines).
   * The lines are combined in order (RFC 9110 5.3) and the proxy's own element appended.
   */
  @Test
  void a_list_header_sent_as_several_lines_is_combined_in_order_before_the_proxy_appends() {
    get(new RequestOptions().setURI("/x").addHeader("X-Forwarded-For", "10.1.1.1").addHeader("X-Forwarded-For", "8.8.8.8")
        .addHeader("Via", "1.1 a").addHeader("Via", "1.1 b").addHeader("Forwarded", "for=10.1.1.1")
        .addHeader("Forwarded", "for=8.8.8.8"));
    MultiMap h = upstreamHeaders.get();
    assertEquals("10.1.1.1, 8.8.8.8, 127.0.0.1", h.get("X-Forwarded-For"));
    assertEquals(1, h.getAll("X-Forwarded-For").size());
    assertEquals("1.1 a, 1.1 b, 1.1 sluice", h.get("Via"));
    assertTrue(h.get("Forwarded").startsWith("for=10.1.1.1, for=8.8.8.8, for=\"127.0.0.1\""), h.get("Forwarded"));
  }

  /**
   * Found from outside: neither the gateway's own answers nor a target's answer without Date carried one (Vert.x adds
   * none). RFC 9110 6.6.1: an origin with a clock sends it, a recipient forwarding an answer without it adds it.
   */
  @Test
  void the_gateways_own_answers_and_a_targets_answer_without_date_carry_one() {
    for (String expect : new String[] {null, "nothing-known"}) { // proxied; the gateway's own 417
      RequestOptions o = new RequestOptions().setURI("/x");
      if (expect != null) {
        o.putHeader("Expect", expect);
      }
      Http.Reply r = get(o);
      assertEquals(expect == null ? 200 : 417, r.status(), r.text());
      String date = r.header("Date");
      assertNotNull(date, expect + " " + r.status());
      java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(date, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
      assertTrue(Math.abs(at.toEpochSecond() - System.currentTimeMillis() / 1000) < 60, date);
      assertTrue(date.matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"), "IMF-fixdate: " + date);
    }
  }

  @Test
  void x_real_ip_is_the_peer_and_forwarded_is_appended_never_passed_on_as_the_client_wrote_them() {
    get(new RequestOptions().setURI("/x").putHeader("Host", "api.example.com:8080")
        .putHeader("X-Real-IP", "203.0.113.9").putHeader("Forwarded", "for=203.0.113.9;proto=https"));
    MultiMap h = upstreamHeaders.get();
    assertEquals("127.0.0.1", h.get("X-Real-IP"), "a client's X-Real-IP is replaced by its address");
    assertEquals("for=203.0.113.9;proto=https, for=\"127.0.0.1\";host=\"api.example.com:8080\";proto=http",
        h.get("Forwarded"), "the last element is what the proxy saw");
    // Without a Forwarded of the client's, none is made up; X-Real-IP is always set.
    get(new RequestOptions().setURI("/x"));
    assertEquals("127.0.0.1", upstreamHeaders.get().get("X-Real-IP"));
    assertEquals(null, upstreamHeaders.get().get("Forwarded"));
  }

  @Test
  void removes_hop_by_hop_headers_both_ways() {
    Http.Reply resp = get(new RequestOptions().setURI("/x")
        .putHeader("Connection", "keep-alive, X-Client-Hop")
        .putHeader("X-Client-Hop", "secret")
        .putHeader("Keep-Alive", "timeout=5")
        .putHeader("TE", "trailers")
        .putHeader("Proxy-Authorization", "Basic Zm9v")
        .putHeader("X-Normal", "1"));
    MultiMap h = upstreamHeaders.get();
    assertNull(h.get("X-Client-Hop"));
    assertNull(h.get("Keep-Alive"));
    assertNull(h.get("TE"));
    assertNull(h.get("Proxy-Authorization"));
    assertEquals("1", h.get("X-Normal"));
    assertFalse(String.valueOf(h.get("Connection")).contains("X-Client-Hop"));
    assertNull(resp.header("X-Secret-Hop"));
    assertNull(resp.header("Keep-Alive"));
    assertNull(resp.header("Proxy-Authenticate"));
    assertEquals("yes", resp.header("X-Kept"));
  }

  @Test
  void preserve_host_forwards_the_client_host() {
    node.close();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()).replace("    paths: [\"/\"]\n",
        "    paths: [\"/\"]\n    preserve_host: true\n"));
    get(new RequestOptions().setURI("/x").putHeader("Host", "shop.example.com"));
    assertEquals("shop.example.com", upstreamHeaders.get().get("Host"));
  }

  @Test
  void unknown_route_answers_404_with_a_json_error() {
    node.close();
    node = TestNode.start(TestNode.simpleRoutes(null, backend.port()).replace("paths: [\"/\"]", "paths: [\"/only\"]"));
    Http.Reply resp = get(new RequestOptions().setURI("/elsewhere").setMethod(HttpMethod.GET));
    JsonObject body = resp.body().toJsonObject();
    assertEquals(404, resp.status());
    assertEquals("no_route", body.getJsonObject("error").getString("code"));
    assertEquals(resp.header("X-Request-Id"), body.getJsonObject("error").getString("request_id"));
    assertTrue(resp.header("Content-Type").startsWith("application/json"));
    assertEquals(0, backend.requests.get());
  }

  /** A 304 with a phrase of the target's own keeps its head as it came: no Content-Length made up (RFC 9110 8.6). */
  @Test
  void a_304_with_its_own_reason_phrase_gets_no_made_up_content_length(Vertx vertx) throws Exception {
    io.vertx.core.net.NetServer target = vertx.createNetServer().connectHandler(so -> so.handler(b -> {
      if (b.toString().contains("\r\n\r\n")) {
        so.write("HTTP/1.1 304 Not Changed\r\nETag: \"v1\"\r\nCache-Control: max-age=60\r\n\r\n");
      }
    })).listen(0, "127.0.0.1").await();
    TestNode other = TestNode.start(TestNode.simpleRoutes(null, target.actualPort()));
    try {
      io.sluice.testing.RawHttp.Answer a = io.sluice.testing.RawHttp.exchange(other.proxyPort(),
          "GET /x HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"v1\"\r\nConnection: close\r\n\r\n");
      assertEquals(304, a.first().status(), a.describe());
      assertEquals("\"v1\"", a.first().header("etag"), a.describe());
      assertNull(a.first().header("content-length"), a.describe());
      assertNull(a.first().header("transfer-encoding"), a.describe());
    } finally {
      other.close();
      target.close().await();
    }
  }
}

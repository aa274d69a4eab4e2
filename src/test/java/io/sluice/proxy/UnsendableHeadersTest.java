package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.RawHttp;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A header the HTTP client cannot write upstream: a control byte other than HTAB, or DEL, in its value. Sent by the
 * client, it is refused before any upstream attempt: 400 naming the header over HTTP/1.1 (Netty's decoder named only
 * the byte), a reset stream over HTTP/2 ({@code H2FrameAbuseTest}); the target never sees a byte of that request,
 * and the next request is served. A policy's configured value with one is a rejected row, never applied
 * ({@code TransformerControlBytesTest}); {@code Attempt}'s 500 {@code internal_error} stays as the fallback for a head
 * the HTTP client refuses all the same.
 */
@ExtendWith(VertxExtension.class)
class UnsendableHeadersTest {

  @Test
  void a_control_byte_in_a_header_the_client_sent_is_refused_400_naming_it_before_any_upstream_attempt(Vertx vertx) {
    try (RawUpstream upstream = RawUpstream.start(vertx);
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, upstream.port()))) {
      for (String value : new String[] {"a\u0001b", "a\u007fb", "\u001b[31m"}) {
        RawHttp.Response r = RawHttp.exchange(node.proxyPort(),
            "GET /bad-header HTTP/1.1\r\nHost: localhost\r\nX-Fine: 1\r\nX-Bad: " + value + "\r\n\r\n").first();
        assertEquals(400, r.status(), r.body());
        String message = new JsonObject(r.body()).getJsonObject("error").getString("message");
        assertTrue(message.contains("in header X-Bad"), message);
      }
      assertEquals(0, upstream.connections(), "no attempt was made: " + upstream.bytes());
      RawHttp.Response ok = RawHttp.exchange(node.proxyPort(),
          "GET /ok HTTP/1.1\r\nHost: localhost\r\nX-Tab: a\tb\r\nConnection: close\r\n\r\n").first();
      assertEquals(200, ok.status(), "HTAB is allowed: " + ok.body());
    }
  }

  /**
   * Bytes 0x80 to 0xFF are obs-text, allowed in a field value (RFC 9110 5.5): a Latin-1 or UTF-8 value is forwarded as
   * its bytes and matches a route's header condition, as over HTTP/2 (a signed-byte comparison refused them all as
   * control bytes: an outside tester's route with headers {X-Env: [héllo]} matched over h2c and was 400 over HTTP/1.1).
   */
  @Test
  void bytes_beyond_ascii_in_a_header_value_are_forwarded_and_match_a_route(Vertx vertx) {
    try (RawUpstream upstream = RawUpstream.start(vertx);
         TestNode node = TestNode.start("""
             format_version: 1
             services:
               - {name: svc, targets: [{address: "127.0.0.1:%d"}]}
               - {name: latin-svc, path: /latin, targets: [{address: "127.0.0.1:%d"}]}
             routes:
               - {name: all, service: svc, paths: ["/"]}
               - {name: latin, service: latin-svc, paths: ["/"], priority: 1, headers: {X-Env: ["h\u00e9llo"]}}
             """.formatted(upstream.port(), upstream.port()))) {
      RawHttp.Response matched = RawHttp.exchange(node.proxyPort(),
          "GET /x HTTP/1.1\r\nHost: localhost\r\nX-Env: h\u00e9llo\r\nX-Utf8: caf\u00c3\u00a9\r\n\r\n").first();
      assertEquals(200, matched.status(), matched.body());
      assertTrue(upstream.heads.get(0).contains("X-Env: h\u00e9llo\r\n"), RawHttp.escape(upstream.heads.get(0)));
      assertTrue(upstream.heads.get(0).contains("X-Utf8: caf\u00c3\u00a9"), "UTF-8 bytes forwarded as they came: "
          + RawHttp.escape(upstream.heads.get(0)));
      assertTrue(upstream.heads.get(0).startsWith("GET /latin/x "), "the header condition matched: "
          + RawHttp.escape(upstream.heads.get(0)));
    }
  }
}

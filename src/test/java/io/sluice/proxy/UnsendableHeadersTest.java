package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Gateway;
import io.sluice.testing.RawHttp;
import io.sluice.testing.RawUpstream;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A header the HTTP client cannot write upstream: a control byte other than HTAB, or DEL, in its value. Sent by the
 * client, it is refused before any upstream attempt: 400 naming the header over HTTP/1.1 (Netty's decoder named only
 * the byte), a reset stream over HTTP/2 ({@code H2FrameAbuseTest}). Set by a policy from its configuration (a row
 * written with psql, which no admin check sees), it is the gateway's fault: 500 {@code internal_error} where Sluice
 * answered 400 in the HTTP client's words, blaming the client; the reason in the log. Either way the target never
 * sees a byte of that request, and the next request is served.
 */
@ExtendWith(VertxExtension.class)
class UnsendableHeadersTest {

  private static final String TRANSFORMER = "{\"add\": {\"headers\": {\"X-Tag\": \"a\\u0001b\"}}}";

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

  @Test
  void a_header_a_policy_set_that_cannot_be_written_is_the_gateways_500_and_never_half_reaches_the_target(
      Vertx vertx) {
    try (RawUpstream upstream = RawUpstream.start(vertx);
         Gateway gw = new Gateway(vertx, Map.of(), upstream.port());
         CapturedLogs logs = CapturedLogs.of(Level.WARN, Attempt.class.getName())) {
      JsonObject plugin = gw.plugin("request-transformer", "api",
          new JsonObject().put("add", new JsonObject().put("headers", new JsonObject().put("X-Tag", "ok"))));
      // Written with psql, where no admin check runs: the admin API refuses the control byte, the sync applies it.
      gw.db.transaction("update plugins set config = '" + TRANSFORMER + "' where id = '" + plugin.getString("id") + "'");
      gw.awaitApplied(gw.db.configVersion());
      RawHttp.Response r = RawHttp.exchange(gw.node().proxyPort(),
          "GET /api/unsendable HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").first();
      assertEquals(500, r.status(), r.body());
      JsonObject error = new JsonObject(r.body()).getJsonObject("error");
      assertEquals("internal_error", error.getString("code"));
      assertEquals("the gateway could not form the request to the target", error.getString("message"));
      assertFalse(upstream.bytes().contains("/api/unsendable"), "a half-written request: " + upstream.bytes());
      assertTrue(logs.atLeast(Level.WARN).stream().anyMatch(l -> l.contains("refused the request's head")
          && l.contains("prohibited")), "the reason is logged: " + logs.atLeast(Level.WARN));

      RawHttp.Response open = RawHttp.exchange(gw.node().proxyPort(),
          "GET /open/next HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").first();
      assertEquals(200, open.status(), "the service is not stalled: " + open.body());
    }
  }
}

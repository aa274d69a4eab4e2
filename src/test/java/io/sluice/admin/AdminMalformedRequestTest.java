package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import org.junit.jupiter.api.Test;

/**
 * Requests the HTTP layer itself finds malformed reach the admin listener too: each is answered in the admin
 * API's JSON error shape, and none can make the node log an ERROR (a client must not be able to write those).
 */
class AdminMalformedRequestTest {

  @Test
  void an_http11_request_without_host_is_a_json_400_and_logs_no_error() {
    try (CapturedLogs logs = CapturedLogs.all();
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9))) {
      for (String path : new String[] {"/health/live", "/version", "/routes"}) {
        RawHttp.Answer a = RawHttp.exchange(node.adminPort(), "GET " + path + " HTTP/1.1\r\nConnection: close\r\n\r\n");
        RawHttp.Response r = a.first();
        assertEquals(400, r.status(), a.describe());
        assertTrue(r.header("content-type").startsWith("application/json"), a.describe());
        var error = r.json().getJsonObject("error");
        assertEquals(400, error.getInteger("status"), a.describe());
        assertEquals("Host", error.getJsonArray("fields").getJsonObject(0).getString("field"), a.describe());
      }
      RawHttp.Answer http10 = RawHttp.exchange(node.adminPort(), "GET /health/live HTTP/1.0\r\n\r\n");
      assertEquals(200, http10.first().status(), "HTTP/1.0 has no Host to give: " + http10.describe());
      RawHttp.Answer badHost = RawHttp.exchange(node.adminPort(),
          "GET /health/live HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n");
      assertEquals(400, badHost.first().status(), badHost.describe());
      assertTrue(badHost.first().body().contains("\"Host\""), badHost.describe());
      assertEquals(java.util.List.of(), logs.atLeast(Level.ERROR), "no ERROR line");
    }
  }

  /** Load balancers probe with HEAD; other methods on the public resources are 405 with Allow, token or not. */
  @Test
  void the_public_resources_answer_head_and_405_with_allow_to_other_methods() {
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9), java.util.Map.of("SLUICE_ADMIN_TOKEN", "t0k"))) {
      for (String path : new String[] {"/health/live", "/health/ready", "/version"}) {
        RawHttp.Answer head = RawHttp.exchange(node.adminPort(),
            "HEAD " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        assertEquals(200, head.first().status(), path + ": " + head.describe());
        assertEquals("", head.first().body(), "a HEAD answer has no body: " + head.describe());
        for (String method : new String[] {"POST", "DELETE", "OPTIONS"}) {
          RawHttp.Answer a = RawHttp.exchange(node.adminPort(), method + " " + path
              + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
          assertEquals(405, a.first().status(), method + " " + path + ": " + a.describe());
          assertEquals("GET, HEAD", a.first().header("allow"), a.describe());
        }
      }
    }
  }
}

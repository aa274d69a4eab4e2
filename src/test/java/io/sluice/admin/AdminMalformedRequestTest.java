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
}

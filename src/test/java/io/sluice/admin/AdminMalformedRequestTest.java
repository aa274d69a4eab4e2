package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.RawHttp;
import io.sluice.testing.SharedKafka;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  /**
   * What Netty's decoder refuses, in the head or in a chunked body, is a JSON 400 naming the request, like every
   * other error of the admin listener, and never an ERROR line: Vert.x's own answer to a head is a bare 400, and a
   * chunk size that is not hexadecimal failed the router with no answer and "Unhandled exception in router".
   */
  @Test
  void a_request_netty_cannot_decode_is_a_json_400_and_logs_no_error() throws Exception {
    try (TestDatabase db = TestDatabase.migrated();
         CapturedLogs logs = CapturedLogs.all();
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9),
             Map.of("SLUICE_PG_URL", db.url(), "SLUICE_ADMIN_TOKEN", "t0k"))) {
      String auth = "Authorization: Bearer t0k\r\n";
      Map<String, String> requests = new java.util.LinkedHashMap<>();
      requests.put("a chunk size that is not hex", "POST /tenants HTTP/1.1\r\nHost: a\r\n" + auth
          + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n");
      requests.put("a control byte in a header", "GET /tenants HTTP/1.1\r\nHost: a\r\n" + auth + "X: \u0001\r\n\r\n");
      requests.put("a NUL in Authorization", "GET /tenants HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t0\u0000k\r\n\r\n");
      requests.put("both Content-Length and Transfer-Encoding", "POST /tenants HTTP/1.1\r\nHost: a\r\n" + auth
          + "Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
      requests.put("a header line without a colon", "GET /tenants HTTP/1.1\r\nHost: a\r\n" + auth + "NoColon\r\n\r\n");
      requests.put("a method that is not a token", "G(T /tenants HTTP/1.1\r\nHost: a\r\n" + auth + "\r\n");
      requests.put("a version that cannot be read", "GET /tenants HTTQ/1.1\r\nHost: a\r\n" + auth + "\r\n");
      requests.put("HTTP/1.0 keep-alive with a control byte", "GET /tenants HTTP/1.0\r\nHost: a\r\n" + auth
          + "Connection: keep-alive\r\nX: \u0001\r\n\r\n");
      requests.put("HTTP/1.2", "GET /tenants HTTP/1.2\r\nHost: a\r\n" + auth + "\r\n");
      // Netty keeps the first Content-Length of an HTTP/1.0 request: the rest of the body would be a second request.
      requests.put("Content-Length twice in HTTP/1.0", "POST /tenants HTTP/1.0\r\nHost: a\r\n" + auth
          + "Content-Type: application/json\r\nConnection: keep-alive\r\nContent-Length: 2\r\nContent-Length: 60\r\n"
          + "\r\n{}DELETE /tenants/x HTTP/1.1\r\nHost: a\r\n" + auth + "\r\n");
      requests.put("Content-Length twice, equal, in HTTP/1.1", "POST /tenants HTTP/1.1\r\nHost: a\r\n" + auth
          + "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}");
      java.util.List<String> failures = new java.util.ArrayList<>();
      requests.forEach((what, request) -> {
        RawHttp.Answer a = RawHttp.exchange(node.adminPort(), request.getBytes(StandardCharsets.ISO_8859_1),
            RawHttp.DEFAULT_TIMEOUT_MS);
        var all = a.responses();
        // HTTP/1.1 even when the request could not be read (Netty stands it in as HTTP/1.0) or said HTTP/1.0.
        if (all.size() != 1 || !all.get(0).statusLine().startsWith("HTTP/1.1 400 ") || !a.closedByServer()
            || !"close".equals(all.get(0).header("connection"))
            || !String.valueOf(all.get(0).header("content-type")).startsWith("application/json")) {
          failures.add(what + ": " + a.describe());
          return;
        }
        var error = all.get(0).json().getJsonObject("error");
        if (error.getInteger("status") != 400
            || !"(request)".equals(error.getJsonArray("fields").getJsonObject(0).getString("field"))) {
          failures.add(what + ": " + a.describe());
        }
      });
      assertEquals(java.util.List.of(), failures, "each a JSON 400 naming the request, then the connection closed");
      // A client gone in the middle of its body: nothing to answer, and nothing to log as an ERROR either.
      try (java.net.Socket gone = new java.net.Socket("127.0.0.1", node.adminPort())) {
        gone.getOutputStream().write(("POST /tenants HTTP/1.1\r\nHost: a\r\n" + auth + "Content-Type: application/json"
            + "\r\nContent-Length: 100\r\n\r\n{\"na").getBytes(StandardCharsets.ISO_8859_1));
        gone.getOutputStream().flush();
        Thread.sleep(200);
      }
      RawHttp.Answer headers = RawHttp.exchange(node.adminPort(), "GET /tenants HTTP/1.1\r\nHost: a\r\n" + auth
          + "X-Big: " + "a".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
      assertTrue(headers.first().statusLine().startsWith("HTTP/1.1 431 "), headers.describe());
      assertEquals(431, headers.first().json().getJsonObject("error").getInteger("status"), headers.describe());
      // Many small headers are too large together: said so, not "not valid HTTP/1.1" of "HTTP header is larger".
      StringBuilder many = new StringBuilder();
      for (int i = 0; i < 60; i++) {
        many.append("X-H").append(i).append(": ").append("b".repeat(200)).append("\r\n");
      }
      RawHttp.Answer section = RawHttp.exchange(node.adminPort(), "GET /tenants HTTP/1.1\r\nHost: a\r\n" + auth
          + many + "Connection: close\r\n\r\n");
      var error = section.first().json().getJsonObject("error");
      assertEquals(431, error.getInteger("status"), section.describe());
      assertEquals("the request's header section is too large", error.getString("message"), section.describe());
      assertEquals("the header lines together are larger than 8192 bytes",
          error.getJsonArray("fields").getJsonObject(0).getString("reason"), section.describe());
      Thread.sleep(300);
      assertEquals(java.util.List.of(), logs.atLeast(Level.ERROR), "no ERROR line");
    }
  }

  /** The stream listener answers what the HTTP layer refuses in the admin API's JSON shape too, not a bare 400. */
  @Test
  void the_stream_listener_answers_a_request_netty_cannot_decode_in_json(@TempDir Path dir) throws Exception {
    Map<String, String> env = Map.of("SLUICE_STREAM_ENABLED", "true", "SLUICE_STREAM_HOST", "127.0.0.1",
        "SLUICE_KAFKA_BOOTSTRAP", SharedKafka.bootstrap(),
        "SLUICE_KAFKA_TOPIC", "malformed-" + Long.toHexString(System.nanoTime()), "SLUICE_KAFKA_PARTITIONS", "1",
        "SLUICE_SPOOL_DIR", Files.createDirectories(dir.resolve("spool")).toString());
    try (CapturedLogs logs = CapturedLogs.all();
         TestNode node = TestNode.start(TestNode.simpleRoutes(null, 9), env)) {
      for (String request : new String[] {"GET /v1/stream HTTP/1.1\r\nHost: a\r\nX: \u0001\r\n\r\n",
          "G(T /v1/stream HTTP/1.1\r\nHost: a\r\n\r\n", "GET /v1/stream HTTQ/1.1\r\nHost: a\r\n\r\n",
          "POST /v1/stream HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          "GET /v1/stream HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n"}) {
        RawHttp.Answer a = RawHttp.exchange(node.streamPort(), request.getBytes(StandardCharsets.ISO_8859_1),
            RawHttp.DEFAULT_TIMEOUT_MS);
        RawHttp.Response r = a.first();
        assertTrue(r.statusLine().startsWith("HTTP/1.1 400 "), a.describe());
        assertEquals("close", r.header("connection"), a.describe());
        assertTrue(String.valueOf(r.header("content-type")).startsWith("application/json"), a.describe());
        var error = r.json().getJsonObject("error"); // the shape of the admin API's and the proxy's errors
        assertEquals(400, error.getInteger("status"), a.describe());
        assertEquals("invalid", error.getString("code"), a.describe());
        assertTrue(error.getString("message").startsWith("the request is not valid HTTP/1.1"), a.describe());
      }
      assertEquals(java.util.List.of(), logs.atLeast(Level.ERROR), "no ERROR line");
    }
  }
}

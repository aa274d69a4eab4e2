package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.sluice.testing.CapturedLogs;
import io.sluice.testing.Http;
import io.sluice.testing.RawHttp;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A target answering a status outside 100-599 ({@code HTTP/1.1 2000 OK}, which Vert.x's client reads as 2000) is
 * answered 502 upstream_error naming it, never passed on verbatim, and counts as a failure of the target.
 */
class InvalidStatusTest {

  private Vertx vertx;
  private NetServer target;
  private TestNode node;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    target = vertx.createNetServer().connectHandler(socket -> socket.handler(request ->
        socket.write(Buffer.buffer("HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"))));
    target.listen(0, "127.0.0.1").await();
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            retries: 0
            circuit_breaker: {failures: 2, open_ms: 60000}
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: api, service: svc, paths: ["/api"]}
        """.formatted(target.actualPort()), Map.of());
  }

  @AfterEach
  void stop() {
    node.close();
    vertx.close().await();
  }

  @Test
  void a_status_outside_100_to_599_is_a_502_and_a_failure_of_the_target() {
    try (CapturedLogs logs = CapturedLogs.all()) {
      refusedAndCounted();
      // The answer left unread is reset: what Vert.x then reports about it is expected, never an ERROR line.
      assertEquals(List.of(), logs.atLeast(Level.ERROR));
    }
  }

  private void refusedAndCounted() {
    RawHttp.Answer a;
    List<String> logged;
    try (CapturedLogs debug = CapturedLogs.of(Level.DEBUG, "io.sluice.proxy.Exchange")) {
      a = RawHttp.exchange(node.proxyPort(), "GET /api/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      logged = debug.atLeast(Level.DEBUG);
    }
    assertEquals("HTTP/1.1 502 Bad Gateway", a.first().statusLine(), a.describe());
    assertTrue(a.first().body().contains("upstream_error") && !a.first().body().contains("2000"), a.describe());
    assertTrue(String.join("\n", logged).contains("answered status 2000, outside 100-599"), "logged: " + logged);
    Http.Reply h2 = Http.h2c(vertx).get(node.proxyPort(), "/api/x");
    assertEquals(502, h2.status(), h2.text());
    // Two failures open the breaker: the target is out of service.
    Http.Reply third = new Http(vertx).get(node.proxyPort(), "/api/x");
    assertEquals(503, third.status(), third.text());
  }
}

package io.sluice.upstream.health;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Active health checks on a running node: targets ejected and readmitted while traffic flows. */
@ExtendWith(VertxExtension.class)
class HealthCheckTest {

  private Vertx vertx;
  private Http http;
  private TestNode node;

  /** A backend whose health endpoint and traffic can each be broken. */
  private static final class Flaky {
    volatile boolean healthBad;
    volatile boolean trafficBad;
    final AtomicInteger probes = new AtomicInteger();
    final AtomicInteger served = new AtomicInteger();
    Backend backend;

    void handle(HttpServerRequest req, String name) {
      if (req.path().equals("/healthz")) {
        probes.incrementAndGet();
        req.response().setStatusCode(healthBad ? 503 : 204).end();
      } else if (trafficBad) {
        req.response().setStatusCode(503).end("broken");
      } else {
        served.incrementAndGet();
        req.response().end(name);
      }
    }
  }

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    http = new Http(vertx);
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private Flaky flaky(String name) {
    Flaky f = new Flaky();
    f.backend = Backend.start(vertx, req -> f.handle(req, name));
    return f;
  }

  /** One client request, which must succeed whatever the targets are doing. */
  private String request() {
    Http.Reply r = http.get(node.proxyPort(), "/x");
    assertEquals(200, r.status(), "a client request failed: " + r.text());
    return r.text();
  }

  private JsonObject target(int port) {
    Http.Reply r = http.get(node.adminPort(), "/services/svc/health");
    assertEquals(200, r.status(), r.text());
    JsonArray targets = new JsonObject(r.text()).getJsonArray("targets");
    for (int i = 0; i < targets.size(); i++) {
      if (targets.getJsonObject(i).getString("address").endsWith(":" + port)) {
        return targets.getJsonObject(i);
      }
    }
    throw new AssertionError("no target on port " + port + " in " + r.text());
  }

  @Test
  void a_target_going_down_and_back_is_ejected_and_readmitted_with_no_failed_request() {
    Flaky a = flaky("a");
    Flaky b = flaky("b");
    try {
      node = TestNode.start(TestNode.simpleRoutes("""
          retries: 0
          circuit_breaker: {failures: 1000, open_ms: 60000}
          health_check: {path: /healthz, interval_ms: 100, timeout_ms: 500, unhealthy_threshold: 3, healthy_threshold: 2,
                         expected_statuses: [200, 204]}""", a.backend.port(), b.backend.port()));
      for (int i = 0; i < 20; i++) {
        request();
      }
      assertTrue(a.served.get() > 0 && b.served.get() > 0, "both serve while healthy");
      eventually("both targets probed", () -> a.probes.get() > 2 && b.probes.get() > 2);

      // A announces it is going away: the probes see it and take it out while traffic keeps flowing.
      a.healthBad = true;
      int probesBefore = a.probes.get();
      eventually("a is out of service", () -> {
        request();
        return !target(a.backend.port()).getBoolean("healthy");
      });
      assertTrue(a.probes.get() - probesBefore >= 3, "out only after the unhealthy threshold of failed probes");
      JsonObject out = target(a.backend.port());
      assertEquals(false, out.getJsonObject("active").getBoolean("up"));
      assertEquals("status 503", out.getJsonObject("active").getString("last"));
      assertTrue(http.get(node.adminPort(), "/metrics").text().contains(
          "sluice_upstream_target_healthy{service=\"svc\",target=\"127.0.0.1:" + a.backend.port() + "\"} 0.0"));

      // Now its traffic breaks too (retries: 0, so a request sent to it would fail): none is.
      a.trafficBad = true;
      int servedByA = a.served.get();
      for (int i = 0; i < 50; i++) {
        assertEquals("b", request());
      }
      assertEquals(servedByA, a.served.get());

      // A comes back: after the healthy threshold it takes traffic again.
      a.trafficBad = false;
      a.healthBad = false;
      eventually("a is back in service and serving", () -> {
        request();
        return target(a.backend.port()).getBoolean("healthy") && a.served.get() > servedByA;
      });
      assertEquals(true, target(b.backend.port()).getBoolean("healthy"), "b stayed in service throughout");
      assertTrue(http.get(node.adminPort(), "/metrics").text().contains(
          "sluice_upstream_target_healthy{service=\"svc\",target=\"127.0.0.1:" + a.backend.port() + "\"} 1.0"));
    } finally {
      a.backend.close();
      b.backend.close();
    }
  }

  @Test
  void tcp_mode_ejects_a_target_that_refuses_connections() {
    Flaky b = flaky("b");
    Flaky gone = flaky("gone");
    int deadPort = gone.backend.port();
    gone.backend.close();
    try {
      node = TestNode.start(TestNode.simpleRoutes("""
          retries: 0
          circuit_breaker: {failures: 1000, open_ms: 60000}
          health_check: {type: tcp, interval_ms: 100, timeout_ms: 500, unhealthy_threshold: 1}""",
          deadPort, b.backend.port()));
      eventually("the dead target is out", () -> !target(deadPort).getBoolean("healthy"));
      for (int i = 0; i < 20; i++) {
        assertEquals("b", request());
      }
      // Its first probe comes at a random offset within the interval: wait for it rather than assume it.
      eventually("the live target probed", () -> "connected".equals(target(b.backend.port())
          .getJsonObject("active").getString("last")));
      assertTrue(target(b.backend.port()).getBoolean("healthy"));
      assertEquals(0, b.probes.get(), "tcp mode sends no HTTP request");
      assertEquals(404, http.get(node.adminPort(), "/services/nope/health").status());
    } finally {
      b.backend.close();
    }
  }
}

package io.sluice.ops;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The operational meters move with traffic: connections opened, reused, open, closed; overhead; loop delay. */
@ExtendWith(VertxExtension.class)
class OperationalMetricsTest {

  @Test
  void connection_and_latency_meters_follow_the_traffic(Vertx vertx) throws Exception {
    Http http = new Http(vertx);
    Backend backend = Backend.start(vertx, req -> req.response().end("ok"));
    try (TestNode node = TestNode.start(TestNode.simpleRoutes(null, backend.port()))) {
      for (int i = 0; i < 20; i++) {
        assertEquals(200, http.get(node.proxyPort(), "/x").status());
      }
      String target = "127.0.0.1:" + backend.port();
      String m = http.get(node.adminPort(), "/metrics").text();
      double opened = value(m, "sluice_upstream_connections_opened_total", target);
      double reused = value(m, "sluice_upstream_connections_reused_total", target);
      assertTrue(opened >= 1, m);
      assertEquals(20, opened + reused, "every attempt used a new or a pooled connection");
      assertTrue(reused >= 19 - opened, "sequential requests reuse the keep-alive connection");
      assertEquals(opened, value(m, "sluice_upstream_connections_open", target), "none closed yet");
      assertEquals(20, value(m, "sluice_upstream_connection_acquire_seconds_count", target));
      assertEquals(20, value(m, "sluice_request_overhead_seconds_count", "route=\"all\""));
      assertTrue(m.contains("process_start_time_seconds"), "restarts show as a new start time");
      assertTrue(m.contains("jvm_memory_used_bytes"));
      assertTrue(m.contains("jvm_gc_pause_seconds") || m.contains("jvm_gc_"), "GC meters");
      eventually("the event-loop delay is measured", () -> http.get(node.adminPort(), "/metrics").text()
          .contains("sluice_event_loop_delay_seconds_count{loop=\"vert.x-eventloop-thread-"));

      backend.close();
      eventually("the closed connection no longer counts as open",
          () -> value(http.get(node.adminPort(), "/metrics").text(), "sluice_upstream_connections_open", target) == 0);
      m = http.get(node.adminPort(), "/metrics").text();
      assertEquals(opened, value(m, "sluice_upstream_connections_closed_total", target));
    }
  }

  /** The value of the one series of {@code name} whose labels contain {@code labelPart}. */
  static double value(String metrics, String name, String labelPart) {
    Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} (\\S+)$").matcher(metrics);
    while (matcher.find()) {
      if (matcher.group(1).contains(labelPart)) {
        return Double.parseDouble(matcher.group(2));
      }
    }
    throw new AssertionError("no series " + name + " with " + labelPart);
  }
}

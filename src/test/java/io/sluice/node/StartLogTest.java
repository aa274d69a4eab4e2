package io.sluice.node;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.testing.Http;
import io.sluice.testing.NodeProcess;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What a node logs when it starts: nothing at WARN that an operator should not act on. */
class StartLogTest {

  @TempDir
  Path dir;

  /**
   * Micrometer warned "This Gauge has been already registered (vertx.sql.processing.pending ...)" on every start:
   * Vert.x's SQL client registers the gauge once per PostgreSQL connection (the config-store pool's, the sync
   * leader's). A node on PostgreSQL, started in a JVM of its own (Micrometer warns once per JVM), logs none.
   */
  @Test
  @Timeout(120)
  void a_node_on_postgres_starts_without_the_gauge_registration_warning() throws Exception {
    Vertx vertx = Vertx.vertx();
    TestDatabase db = TestDatabase.create();
    NodeProcess node = null;
    try {
      node = NodeProcess.start(new Http(vertx), dir, "n1", "256m", Map.of("SLUICE_PG_URL", db.url()));
      NodeProcess n = node;
      // A JVM of its own migrating a new database: allow for a loaded machine (CI with other work beside it).
      eventually("the node is ready", java.time.Duration.ofSeconds(90), () -> n.adminStatus("/health/ready") == 200);
      // A few admin reads, so that the pool opens more than one connection.
      for (int i = 0; i < 8; i++) {
        assertEquals(200, node.admin(io.vertx.core.http.HttpMethod.GET, "/routes", null).status());
      }
      String log = node.log(1_000_000);
      assertFalse(log.contains("has been already registered"), log);
    } finally {
      if (node != null) {
        node.close();
      }
      db.close();
      vertx.close().await();
    }
  }

  /**
   * The filter drops exactly Vert.x's own gauges' second registrations; Sluice's still warn. An appender's filter, not
   * a TurboFilter (which logback runs on every logging call, disabled ones included).
   */
  @Test
  void only_vertx_gauge_registrations_are_quieted() {
    LoggerContext context = new LoggerContext();
    ch.qos.logback.classic.Logger registry = context.getLogger("io.micrometer.core.instrument.MeterRegistry");
    ListAppender<ILoggingEvent> seen = new ListAppender<>();
    seen.setContext(context);
    VertxGaugeRegistrations quiet = new VertxGaugeRegistrations();
    quiet.start();
    seen.addFilter(quiet);
    seen.start();
    registry.addAppender(seen);
    registry.setLevel(Level.DEBUG);
    registry.warn("This Gauge has been already registered (MeterId{name='vertx.sql.processing.pending', "
        + "tags=[tag(client_namespace=config-store)]}), the registration will be ignored.");
    assertEquals(0, seen.list.size());
    registry.warn("This Gauge has been already registered (MeterId{name='sluice.stream.spool.bytes', tags=[]}), "
        + "the registration will be ignored.");
    assertEquals(1, seen.list.size(), "a gauge of Sluice's registered twice still warns");
    assertEquals(0, context.getTurboFilterList().size(), "nothing on the path of every logging call");
  }
}

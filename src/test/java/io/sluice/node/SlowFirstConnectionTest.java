package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node whose first connection to PostgreSQL after the migrations is slower than the pool's 2 s wait for a
 * connection (a cold JVM on a loaded machine) still starts: the start failed with a bare "Timeout" before.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SlowFirstConnectionTest {

  private final Vertx vertx = Vertx.vertx();
  private TestDatabase db;
  private TcpProxy relay;
  private TestNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    if (relay != null) {
      relay.close();
    }
    if (db != null) {
      db.close();
    }
    vertx.close().await();
  }

  @Test
  void a_first_pool_connection_slower_than_the_pool_wait_does_not_fail_the_start() {
    db = TestDatabase.create();
    relay = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    // The migrations connect over JDBC; the first Vert.x connection is the pool's, for the seed step.
    relay.delayFirst("vertx-pg-client", 3_000);
    node = TestNode.start(TestNode.simpleRoutes(null, 9), Map.of("SLUICE_PG_URL", "postgresql://" + TestDatabase.USER
        + "@127.0.0.1:" + relay.port() + "/" + db.name()));
    assertTrue(relay.delayed(), "the pool's first connection was the delayed one");
    assertTrue(node.node().appliedVersion() > 0, "the node applied the seeded configuration");
  }
}

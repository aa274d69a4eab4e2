package io.sluice.cluster;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Gateway;
import io.sluice.testing.Ports;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node cut off from its cluster (a pause or a partition splits Hazelcast in two) is in a half whose sync leader,
 * the holder of PostgreSQL's lock, is in the other half: no event reaches it. Found from outside: such a node kept
 * serving its old configuration for over a minute, until the halves merged. It reads PostgreSQL's version between
 * its lock waits, and once it is behind with no event for a few seconds it reads the configuration itself.
 */
@ExtendWith(VertxExtension.class)
class SplitClusterTest {

  private Gateway gw;

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
  }

  @Test
  void a_node_whose_part_of_the_cluster_has_no_sync_leader_serves_what_postgresql_holds(Vertx vertx) {
    gw = Gateway.clustered(vertx, 1);
    String cluster = gw.node().node().settings().cluster().name();
    // The same cluster name (so the same sync lock) but a member list of its own: a cluster split in two from the
    // start. It starts at all only by reading PostgreSQL itself: its half never gets a first fill.
    int port = Ports.free();
    TestNode split = gw.addNode(Map.of("SLUICE_CLUSTER_DISCOVERY", "tcp-ip", "SLUICE_CLUSTER_NAME", cluster,
        "SLUICE_CLUSTER_MEMBERS", "127.0.0.1:" + port, "SLUICE_CLUSTER_PORT", String.valueOf(port),
        "SLUICE_NODE_NAME", "node-split"));
    assertEquals(200, gw.get(split, "/api/x").status(), "the seeded route, read around the cluster");

    gw.db.transaction("insert into routes (name, service_id, paths) select 'later', id, '{/later}' from services"
        + " where name = 'svc'");
    long version = gw.db.configVersion();
    eventually("the leader's node serves the new route", () -> gw.get("/later/x").status() == 200);
    // Until it reads around its cluster (5 s), its health says it is behind, as a node serving its snapshot does.
    AtomicReference<JsonObject> behind = new AtomicReference<>();
    eventually("the node cut off from the leader says it is behind", Duration.ofSeconds(30), () -> {
      JsonObject report = split.node().health().report();
      JsonObject config = report.getJsonObject("checks").getJsonObject("config");
      behind.set(report);
      return split.node().appliedVersion() < version && "DOWN".equals(config.getString("status"))
          && Boolean.TRUE.equals(config.getBoolean("stale")) && config.getLong("store_version") == version;
    });
    assertEquals("DEGRADED", behind.get().getString("status"), "still ready, it serves: " + behind.get().encode());
    assertTrue(behind.get().getJsonObject("checks").getJsonObject("config").getLong("behind_ms") >= 1_000,
        behind.get().encode());
    eventually("the node cut off from the leader serves it too", Duration.ofSeconds(30),
        () -> split.node().appliedVersion() >= version && gw.get(split, "/later/x").status() == 200);
    JsonObject config = split.node().health().report().getJsonObject("checks").getJsonObject("config");
    assertEquals("UP", config.getString("status"), "no longer behind once read: " + config.encode());
    double reads = split.node().registry().get("sluice.config.full.reloads").tag("reason", "cluster_behind")
        .counter().count();
    assertTrue(reads >= 2, "read around the cluster at start and for the change, and counted: " + reads);
  }
}

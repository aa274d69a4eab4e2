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
import java.util.List;
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
    // Each part counts only itself: two nodes of the cluster report one member each (the split-cluster alert).
    for (TestNode n : List.of(gw.node(), split)) {
      assertEquals(1.0, n.node().registry().find("sluice.cluster.members").tag("cluster", cluster).gauge().value());
    }

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

  /**
   * The sync leader's node is behind PostgreSQL too when its own changes do not reach it (found from outside: a new
   * leader whose map writes waited for a paused member served a version 22 s behind while its config check said
   * UP). Here its own events are dropped on arrival: its heartbeat sees PostgreSQL ahead and health says so.
   */
  @Test
  void the_sync_leader_whose_own_changes_do_not_reach_it_says_it_is_behind(Vertx vertx) {
    // No reconcile within the test: it would reload the node from the maps (what rescues it in production).
    gw = new Gateway(vertx, Map.of("SLUICE_SYNC_RECONCILE_INTERVAL_MS", "600000"));
    TestNode leader = gw.node();
    eventually("it leads", () -> leader.node().syncLeader());
    java.util.concurrent.atomic.AtomicBoolean deaf = new java.util.concurrent.atomic.AtomicBoolean(true);
    io.vertx.core.Handler<io.vertx.core.eventbus.DeliveryContext<Object>> drop = ctx -> {
      if (!(deaf.get() && io.sluice.bus.Addresses.CONFIG_CHANGED.equals(ctx.message().address()))) {
        ctx.next();
      }
    };
    leader.node().vertx().eventBus().addInboundInterceptor(drop);
    gw.db.transaction("insert into routes (name, service_id, paths) select 'unheard', id, '{/unheard}' from services"
        + " where name = 'svc'");
    long version = gw.db.configVersion();
    AtomicReference<JsonObject> config = new AtomicReference<>();
    eventually("the leader says it is behind", Duration.ofSeconds(15), () -> {
      config.set(leader.node().health().report().getJsonObject("checks").getJsonObject("config"));
      return "DOWN".equals(config.get().getString("status")) && config.get().getLong("store_version") == version;
    });
    assertTrue(leader.node().appliedVersion() < version, config.get().encode());
    assertEquals(Boolean.TRUE, config.get().getBoolean("stale"), config.get().encode());
    assertTrue(config.get().encode().contains("sync leader's own changes"), config.get().encode());
    deaf.set(false);
    // The next change's event shows the gap, which the node closes by a reload.
    gw.db.transaction("insert into routes (name, service_id, paths) select 'heard', id, '{/heard}' from services"
        + " where name = 'svc'");
    long next = gw.db.configVersion();
    eventually("once its events reach it again it catches up and says so", Duration.ofSeconds(30), () ->
        leader.node().appliedVersion() >= next && "UP".equals(leader.node().health().report()
            .getJsonObject("checks").getJsonObject("config").getString("status")));
    assertEquals(200, gw.get("/unheard/x").status());
    assertEquals(200, gw.get("/heard/x").status());
    leader.node().vertx().eventBus().removeInboundInterceptor(drop);
  }
}

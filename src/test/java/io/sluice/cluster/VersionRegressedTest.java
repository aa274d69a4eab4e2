package io.sluice.cluster;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.bus.Addresses;
import io.sluice.bus.ConfigChanged;
import io.sluice.testing.Gateway;
import io.sluice.testing.Http;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PostgreSQL's configuration version set below what the nodes applied (a database restored from an older backup;
 * here the counter set back with the V18 trigger dropped). Found from outside: later changes were never applied,
 * while ?wait=true and /cluster/sync said every node had them (every node was at the old, higher version).
 */
@ExtendWith(VertxExtension.class)
class VersionRegressedTest {

  private Gateway gw;

  @AfterEach
  void stop() {
    if (gw != null) {
      gw.close();
    }
  }

  @Test
  void nodes_reload_a_database_that_went_back_and_wait_tells_the_truth(Vertx vertx) {
    gw = Gateway.clustered(vertx, 2);
    for (int i = 0; i < 5; i++) {
      gw.create("/routes", new JsonObject().put("name", "before-" + i).put("service", "svc")
          .put("paths", new io.vertx.core.json.JsonArray().add("/before-" + i)));
    }
    long high = gw.db.configVersion();
    gw.awaitApplied(high);

    gw.db.transaction("drop trigger config_version_forward on config_version",
        "update config_version set version = 1");
    gw.db.transaction("insert into routes (name, service_id, paths) select 'after-reset', id, '{/after-reset}'"
        + " from services where name = 'svc'");
    Http.Reply written = gw.admin(HttpMethod.POST, "/routes?wait=true&timeout=20s", new JsonObject()
        .put("name", "after-reset-api").put("service", "svc").put("paths", new io.vertx.core.json.JsonArray()
            .add("/after-reset-api")));
    assertEquals(201, written.status(), written.text());
    long version = Long.parseLong(written.header("Sluice-Config-Version"));
    assertTrue(version < high, "the write got a version below the nodes' old one: " + version);
    assertEquals("true", written.header("Sluice-Cluster-Applied"), "every node reloaded within the wait");
    // Applied means served: at once, on every node, no eventually.
    for (TestNode n : gw.nodes) {
      assertEquals(200, gw.get(n, "/after-reset-api/x").status(), n.node().settings().nodeName());
      assertEquals(200, gw.get(n, "/after-reset/x").status(), n.node().settings().nodeName());
      assertTrue(n.node().appliedVersion() <= gw.db.configVersion(), "follows PostgreSQL's version now: "
          + n.node().appliedVersion());
    }
    Http.Reply sync = gw.admin(HttpMethod.GET, "/cluster/sync?version=" + version + "&timeout=2s", null);
    assertEquals(200, sync.status(), sync.text());
    for (Object o : new JsonObject(sync.text()).getJsonArray("nodes")) {
      long applied = ((JsonObject) o).getLong("applied_version");
      assertTrue(applied >= version && applied < high, "a node reports the new database's version: " + o);
    }
    Http.Reply ahead = gw.admin(HttpMethod.GET, "/cluster/sync?version=" + (high - 1) + "&timeout=300ms", null);
    assertEquals(504, ahead.status(), "no node applied the old database's version from this one: " + ahead.text());

    // Later changes follow as usual, from the new version on.
    gw.db.transaction("delete from routes where name = 'after-reset'");
    long deleted = gw.db.configVersion();
    eventually("the deletion reaches every node", () -> gw.nodes.stream().allMatch(n ->
        n.node().appliedVersion() == deleted && gw.get(n, "/after-reset/x").status() == 404));
    double reloads = gw.nodes.stream().mapToDouble(n -> n.node().registry().get("sluice.config.full.reloads")
        .tag("reason", "version_regressed").counter().count()).sum();
    assertTrue(reloads >= 1, "counted as a reload of a database that went back: " + reloads);
  }

  /**
   * A node that never got the leader's event saying the version went back (here dropped on arrival) still reloads
   * the whole configuration: the cluster's published version, below its own, tells it (the reconcile looks twice).
   */
  @Test
  void a_node_that_missed_the_regression_event_reloads_when_it_sees_the_published_version(Vertx vertx) {
    gw = Gateway.clustered(vertx, 2, Map.of("SLUICE_SYNC_RECONCILE_INTERVAL_MS", "500"));
    for (int i = 0; i < 5; i++) {
      gw.create("/routes", new JsonObject().put("name", "before-" + i).put("service", "svc")
          .put("paths", new io.vertx.core.json.JsonArray().add("/before-" + i)));
    }
    long high = gw.db.configVersion();
    gw.awaitApplied(high);
    eventually("a sync leader", () -> gw.nodes.stream().anyMatch(n -> n.node().syncLeader()));
    TestNode deaf = gw.nodes.stream().filter(n -> !n.node().syncLeader()).findFirst().orElseThrow();
    AtomicInteger dropped = new AtomicInteger();
    deaf.node().vertx().eventBus().addInboundInterceptor(ctx -> {
      // The message's own body: the context's is not decoded yet for a message from another member.
      if (Addresses.CONFIG_CHANGED.equals(ctx.message().address()) && ctx.message().body() instanceof ConfigChanged c
          && c.regressed()) {
        dropped.incrementAndGet();
        return;
      }
      ctx.next();
    });

    gw.db.transaction("drop trigger config_version_forward on config_version",
        "update config_version set version = 1");
    gw.db.transaction("insert into routes (name, service_id, paths) select 'after-reset', id, '{/after-reset}'"
        + " from services where name = 'svc'");
    long version = gw.db.configVersion();
    assertTrue(version < high, "the database went back: " + version + " < " + high);
    eventually("the node that missed the event serves the database that went back", () ->
        deaf.node().appliedVersion() == gw.db.configVersion() && gw.get(deaf, "/after-reset/x").status() == 200);
    assertTrue(dropped.get() >= 1, "the leader's regression event was dropped on the node: " + dropped.get());
    double reloads = deaf.node().registry().get("sluice.config.full.reloads").tag("reason", "version_regressed")
        .counter().count();
    assertTrue(reloads >= 1, "counted on the node that missed the event too: " + reloads);

    // Later changes follow as usual, from the new version on.
    gw.db.transaction("delete from routes where name = 'before-0'");
    long deleted = gw.db.configVersion();
    eventually("the deletion reaches the node", () ->
        deaf.node().appliedVersion() == deleted && gw.get(deaf, "/before-0/x").status() == 404);
  }
}

package io.sluice.cluster;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.credential.ApiKeys;
import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM (separate clustered Vert.x instances, one Hazelcast cluster) on one database,
 * reached through a TCP relay so that a test can cut PostgreSQL away from them without touching the
 * machine's server. The cluster is shared by the tests: each one makes its own changes and waits for its
 * own versions.
 */
class ClusterSyncTest {

  /** Three Hazelcast members on a shared 2-core machine: a merge or a store outage takes a while to show. */
  private static final Duration CLUSTER_WITHIN = Duration.ofSeconds(30);
  private static final String ROUTES = """
      format_version: 1
      services:
        - name: svc
          targets: [{address: "127.0.0.1:%d"}]
      routes:
        - {name: first, service: svc, paths: ["/first"]}
      """;

  private static Vertx vertx;
  private static TestDatabase db;
  private static Backend backend;
  private static TcpProxy pg;
  private static Http http;
  private static ClusterNodes cluster;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    db = TestDatabase.create();
    backend = Backend.start(vertx, req -> req.response().end("ok"));
    pg = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    http = new Http(vertx);
    String url = "postgresql://" + TestDatabase.USER + "@127.0.0.1:" + pg.port() + "/" + db.name();
    cluster = new ClusterNodes(http, 3, url, ROUTES.formatted(backend.port()), Map.of());
  }

  @AfterAll
  static void stop() {
    cluster.close();
    pg.close();
    backend.close();
    db.close();
    vertx.close().await();
  }

  /** Waits (through node 0's admin API) until every live node applied {@code version}; fails naming laggards. */
  private static void awaitSynced(long version) {
    Http.Reply r = cluster.admin(0, HttpMethod.GET, "/cluster/sync?version=" + version + "&timeout=30s", null);
    assertEquals(200, r.status(), r.text());
  }

  private static String insertRoute(String name) {
    return "insert into routes (name, service_id, paths) select '" + name + "', id, '{/" + name + "}'"
        + " from services where name = 'svc'";
  }

  @Test
  void a_change_through_the_admin_api_and_one_through_plain_sql_reach_all_three_nodes() {
    Http.Reply created = cluster.admin(1, HttpMethod.POST, "/routes?wait=true",
        new JsonObject().put("name", "by-admin").put("service", "svc").put("paths", new JsonArray().add("/by-admin")));
    assertEquals(201, created.status(), created.text());
    assertEquals("true", created.header("Sluice-Cluster-Applied"));
    for (int i = 0; i < 3; i++) {
      assertEquals(200, cluster.proxyStatus(i, "/by-admin/x"), "node " + i + " serves the admin change");
    }

    db.transaction(insertRoute("by-sql"));
    awaitSynced(db.configVersion());
    for (int i = 0; i < 3; i++) {
      assertEquals(200, cluster.proxyStatus(i, "/by-sql/x"), "node " + i + " serves the SQL change");
    }
    JsonObject status = new JsonObject(cluster.admin(2, HttpMethod.GET, "/cluster", null).text());
    JsonArray nodes = status.getJsonArray("nodes");
    assertEquals(3, nodes.size(), status.encodePrettily());
    for (int i = 0; i < 3; i++) {
      String metrics = cluster.admin(i, HttpMethod.GET, "/metrics", null).text();
      assertTrue(metrics.lines().anyMatch(l -> l.startsWith("sluice_cluster_members{") && l.endsWith(" 3.0")),
          "node " + i + " counts the three members for the split-cluster alert");
    }
    for (Object n : nodes) {
      assertTrue(((JsonObject) n).getLong("applied_version") >= db.configVersion(), status.encodePrettily());
    }
  }

  /**
   * After a split-brain merge Hazelcast keeps one side's map entries (the default merge policy keeps what
   * exists), so the maps may hold a state PostgreSQL never had. Played here: a route's entry overwritten
   * with a stale definition and another dropped, then the MERGED event; the leader rewrites the maps from
   * PostgreSQL.
   */
  @Test
  void after_a_hazelcast_merge_the_leader_rewrites_the_cluster_maps_from_postgresql() throws Exception {
    db.transaction(insertRoute("merge-a"));
    db.transaction(insertRoute("merge-b"));
    awaitSynced(db.configVersion());
    String a = "routes:" + db.queryString("select id::text from routes where name = 'merge-a'");
    String b = "routes:" + db.queryString("select id::text from routes where name = 'merge-b'");
    var config = cluster.node(0).node().vertx().sharedData().<String, String>getAsyncMap("sluice.config").await();
    String truth = config.get(a).await();
    assertTrue(truth != null && truth.contains("/merge-a"), truth);
    config.put(a, truth.replace("/merge-a", "/from-the-other-side")).await();
    config.remove(b).await();

    for (int i = 0; i < 3; i++) {
      cluster.node(i).node().membership().merged();
    }
    eventually("the maps hold PostgreSQL's state again", CLUSTER_WITHIN, () -> {
      String now = config.get(a).await();
      String other = config.get(b).await();
      return now != null && now.contains("/merge-a") && !now.contains("/from-the-other-side")
          && other != null && other.contains("/merge-b");
    });
    for (int i = 0; i < 3; i++) {
      assertEquals(200, cluster.proxyStatus(i, "/merge-a/x"), "node " + i);
      assertEquals(200, cluster.proxyStatus(i, "/merge-b/x"), "node " + i);
    }
  }

  /**
   * After a merge the other half holds this node's report from before the split: a node that applied later versions
   * stayed a laggard to /cluster/sync until the next change (an outside tester: 504 naming a node at 278 that served
   * 281, for minutes). Each node of the merged half announces its applied version again; played here on a node that
   * is not the sync leader (the leader's own merge work is the test above), with no change made.
   */
  @Test
  void after_a_hazelcast_merge_a_node_announces_its_applied_version_again() {
    long version = db.configVersion();
    awaitSynced(version);
    int merged = cluster.node(0).node().syncLeader() ? 1 : 0;
    int listener = merged == 0 ? 2 : 0;
    String mergedId = cluster.node(merged).node().membership().nodeId();
    java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
    var consumer = cluster.node(listener).node().vertx().eventBus().<io.sluice.bus.NodeApplied>consumer(
        io.sluice.bus.Addresses.NODE_APPLIED, m -> {
          if (m.body().nodeId().equals(mergedId) && m.body().version() >= version) {
            heard.incrementAndGet();
          }
        });
    consumer.completion().await();
    assertEquals(0, heard.get(), "nothing announced before the merge");
    cluster.node(merged).node().membership().merged();
    eventually("the merged node's applied version is heard again", CLUSTER_WITHIN, () -> heard.get() >= 1);
    consumer.unregister().await();
  }

  @Test
  void cluster_sync_refuses_a_missing_version_and_names_laggards_when_it_times_out() {
    Http.Reply missing = cluster.admin(0, HttpMethod.GET, "/cluster/sync", null);
    assertEquals(400, missing.status());
    assertEquals("version", new JsonObject(missing.text()).getJsonObject("error").getJsonArray("fields")
        .getJsonObject(0).getString("field"));
    Http.Reply badTimeout = cluster.admin(0, HttpMethod.GET, "/cluster/sync?version=1&timeout=soon", null);
    assertEquals(400, badTimeout.status());
    Http.Reply future = cluster.admin(0, HttpMethod.GET, "/cluster/sync?version=999999999&timeout=100ms", null);
    assertEquals(504, future.status());
    assertEquals(3, new JsonObject(future.text()).getJsonArray("laggards").size(), future.text());
  }

  @Test
  void the_leaders_backend_killed_every_few_hundred_ms_under_a_stream_of_changes_loses_none_and_applies_in_order()
      throws Exception {
    AtomicBoolean streaming = new AtomicBoolean(true);
    AtomicInteger killed = new AtomicInteger();
    Thread killer = new Thread(() -> {
      while (streaming.get()) {
        // The leader is whoever holds the sync lock: terminate exactly that session.
        killed.addAndGet((int) db.queryLong("select count(pg_terminate_backend(pid)) from pg_locks"
            + " where locktype = 'advisory' and granted"
            + " and database = (select oid from pg_database where datname = current_database())"));
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    killer.start();
    List<String> names = new ArrayList<>();
    try {
      for (int i = 0; i < 120; i++) {
        String name = "kill-" + i;
        names.add(name);
        // Some transactions change the same route twice: one entry, one load.
        db.transaction(insertRoute(name), "update routes set priority = 1 where name = '" + name + "'");
        Thread.sleep(10);
      }
    } finally {
      streaming.set(false);
      killer.join();
    }
    assertTrue(killed.get() >= 3, "the leader was killed several times: " + killed.get());
    awaitSynced(db.configVersion());
    for (int i = 0; i < 3; i++) {
      TestNode n = cluster.node(i);
      List<String> served = n.node().servedConfig().routes().stream().map(r -> r.name()).toList();
      assertTrue(served.containsAll(names), "node " + i + " lost changes");
      List<Long> applied = n.node().recentlyApplied();
      for (int k = 1; k < applied.size(); k++) {
        assertTrue(applied.get(k) > applied.get(k - 1), "node " + i + " applied out of order: " + applied);
      }
    }
  }

  @Test
  void versions_carried_by_their_notification_and_versions_read_interleave_without_a_pause_in_order()
      throws Exception {
    double carriedBefore = cluster.nodes.stream().mapToDouble(n -> n.node().syncMeters().carriedCount()).sum();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String name = "mixed-" + i;
      names.add(name);
      // Carried whole (a route), read (a plugin), carried (a route moved), back to back: no wait between them.
      db.transaction(insertRoute(name));
      db.transaction("insert into plugins (name, scope, route_id, config) select 'cors', 'route', id, '{}'"
          + " from routes where name = '" + name + "'");
      db.transaction("update routes set paths = '{/moved/" + name + "}' where name = '" + name + "'");
    }
    awaitSynced(db.configVersion());
    double carried = cluster.nodes.stream().mapToDouble(n -> n.node().syncMeters().carriedCount()).sum()
        - carriedBefore;
    assertTrue(carried > 0, "some route changes were published as their notification carried them");
    for (int i = 0; i < 3; i++) {
      TestNode n = cluster.node(i);
      Map<String, List<String>> paths = new java.util.HashMap<>();
      n.node().servedConfig().routes().forEach(r -> paths.put(r.name(), r.paths()));
      for (String name : names) {
        assertEquals(List.of("/moved/" + name), paths.get(name), "node " + i + ", route " + name);
        // The route's CORS plugin (read, between two carried versions of its route) answers on this node.
        Http.Reply r = http.call(new io.vertx.core.http.RequestOptions().setHost("127.0.0.1")
            .setPort(n.proxyPort()).setURI("/moved/" + name).addHeader("Origin", "https://app.example.test"));
        assertEquals(200, r.status(), "node " + i + ", route " + name);
        assertEquals("*", r.header("access-control-allow-origin"), "node " + i + ", plugin of route " + name);
      }
      List<Long> applied = n.node().recentlyApplied();
      for (int k = 1; k < applied.size(); k++) {
        assertTrue(applied.get(k) > applied.get(k - 1), "node " + i + " applied out of order: " + applied);
      }
    }
  }

  @Test
  void postgresql_reads_per_change_do_not_grow_from_one_node_to_three() throws Exception {
    // A route change comes whole with its notification (published without a read); a plugin's is read.
    double[] withThree = readsFor(cluster, 20, db);
    try (TestDatabase single = TestDatabase.create()) {
      ClusterNodes one = new ClusterNodes(http, 1, single.url(), ROUTES.formatted(backend.port()), Map.of());
      try {
        double[] withOne = readsFor(one, 20, single);
        assertTrue(withOne[0] + withOne[1] >= 40, "each change read or carried: " + withOne[0] + " reads, "
            + withOne[1] + " carried");
        assertTrue(withOne[0] >= 20, "the plugin changes are read: " + withOne[0]);
        assertTrue(withOne[1] >= 10, "most route changes are published as carried: " + withOne[1]);
        assertTrue(withThree[0] <= withOne[0] + 2,
            "three nodes read " + withThree[0] + " times for 40 changes, one node " + withOne[0]);
      } finally {
        one.close();
      }
    }
  }

  /**
   * Sync reads of PostgreSQL over every node of {@code nodes}, and versions the leader published from their
   * notification, for {@code changes} route changes and as many plugin changes, one at a time.
   */
  private static double[] readsFor(ClusterNodes nodes, int changes, TestDatabase database) {
    double before = nodes.nodes.stream().mapToDouble(n -> n.node().syncMeters().storeReads()).sum();
    double carriedBefore = nodes.nodes.stream().mapToDouble(n -> n.node().syncMeters().carriedCount()).sum();
    for (int i = 0; i < changes; i++) {
      String name = "reads-" + System.nanoTime();
      database.transaction(insertRoute(name));
      sync(nodes, database);
      database.transaction("insert into plugins (name, scope, route_id, config) select 'cors', 'route', id, '{}'"
          + " from routes where name = '" + name + "'");
      sync(nodes, database);
    }
    return new double[] {
        nodes.nodes.stream().mapToDouble(n -> n.node().syncMeters().storeReads()).sum() - before,
        nodes.nodes.stream().mapToDouble(n -> n.node().syncMeters().carriedCount()).sum() - carriedBefore};
  }

  private static void sync(ClusterNodes nodes, TestDatabase database) {
    Http.Reply r = nodes.admin(0, HttpMethod.GET, "/cluster/sync?version=" + database.configVersion()
        + "&timeout=30s", null);
    assertEquals(200, r.status(), r.text());
  }

  @Test
  void a_new_api_key_is_visible_on_every_node_as_soon_as_its_write_returns_with_wait() {
    JsonObject tenant = new JsonObject(cluster.admin(0, HttpMethod.POST, "/tenants?wait=true",
        new JsonObject().put("name", "acme")).text());
    Http.Reply c = cluster.admin(0, HttpMethod.POST, "/consumers?wait=true",
        new JsonObject().put("tenant", tenant.getString("name")).put("username", "alice"));
    assertEquals(201, c.status(), c.text());
    String consumer = new JsonObject(c.text()).getString("id");

    // Unknown first, on every node: the miss is cached (near-cache and cluster map alike)...
    String chosen = "sk_chosen" + System.nanoTime();
    byte[] digest = ApiKeys.digest(chosen, ClusterNodes.SECRET);
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), cluster.node(i).node().consumers().byKeyDigest(digest).await());
    }
    // ...and a key made with plain SQL still works everywhere once its version is applied.
    db.transaction("insert into credentials (consumer_id, kind, key_prefix, key_digest) values ('" + consumer
        + "', 'api-key', 'sk_chosen', '\\x" + HexFormat.of().formatHex(digest) + "')");
    awaitSynced(db.configVersion());
    for (int i = 0; i < 3; i++) {
      assertEquals("alice", cluster.node(i).node().consumers().byKeyDigest(digest).await().orElseThrow().username(),
          "node " + i);
    }

    // Through the admin API with ?wait=true: usable on every node the moment the 201 arrives.
    Http.Reply k = cluster.admin(1, HttpMethod.POST, "/consumers/" + consumer + "/keys?wait=true", null);
    assertEquals(201, k.status(), k.text());
    JsonObject key = new JsonObject(k.text());
    byte[] issued = ApiKeys.digest(key.getString("key"), ClusterNodes.SECRET);
    for (int i = 0; i < 3; i++) {
      assertTrue(cluster.node(i).node().consumers().byKeyDigest(issued).await().isPresent(), "node " + i);
    }
    // Deleted with ?wait=true: refused everywhere at once, although every node had it cached.
    Http.Reply d = cluster.admin(2, HttpMethod.DELETE, "/consumers/" + consumer + "/keys/" + key.getString("id")
        + "?wait=true", null);
    assertEquals(204, d.status(), d.text());
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), cluster.node(i).node().consumers().byKeyDigest(issued).await(), "node " + i);
    }
  }

  @Test
  void postgresql_cut_away_under_traffic_gives_no_proxy_errors_and_the_cluster_catches_up_on_return()
      throws Exception {
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger served = new AtomicInteger();
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    Thread traffic = new Thread(() -> {
      for (int i = 0; running.get(); i++) {
        int status = cluster.proxyStatus(i % 3, "/first/x");
        if (status == 200) {
          served.incrementAndGet();
        } else {
          errors.add("node " + (i % 3) + ": " + status);
        }
      }
    });
    traffic.start();
    try {
      pg.refuse();
      pg.closeOpenConnections();
      // The staleness shows: every node reports it has not reached PostgreSQL for a while...
      eventually("every node reports the store unreachable", CLUSTER_WITHIN, () -> {
        for (int i = 0; i < 3; i++) {
          JsonObject self = new JsonObject(cluster.admin(i, HttpMethod.GET, "/cluster", null).text())
              .getJsonObject("self");
          if (self.getLong("store_last_contact_ms_ago") < 3_000) {
            return false;
          }
        }
        return true;
      });
      // ...stays ready, and refuses writes fast.
      for (int i = 0; i < 3; i++) {
        assertEquals(200, http.get(cluster.node(i).adminPort(), "/health/ready").status());
      }
      Http.Reply refused = cluster.admin(0, HttpMethod.POST, "/routes",
          new JsonObject().put("name", "while-down").put("service", "svc"));
      assertEquals(503, refused.status(), refused.text());
      // A change made meanwhile (straight to PostgreSQL) arrives once the nodes reach it again.
      db.transaction(insertRoute("while-cut"));
      pg.forward();
      awaitSynced(db.configVersion());
      for (int i = 0; i < 3; i++) {
        assertEquals(200, cluster.proxyStatus(i, "/while-cut/x"), "node " + i);
      }
    } finally {
      pg.forward();
      running.set(false);
      traffic.join();
    }
    assertEquals(List.of(), errors);
    assertTrue(served.get() > 0);
  }
}

package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.sync.DatabaseIdentity;
import io.sluice.sync.LocalSnapshot;
import io.sluice.testing.Backend;
import io.sluice.testing.Eventually;
import io.sluice.testing.Http;
import io.sluice.testing.NodeProcess;
import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started while PostgreSQL does not answer (a TCP relay in front of it refuses): with its local
 * snapshot it serves the last configuration it applied, says DEGRADED and stale, and catches up when the
 * database answers again; without a usable snapshot (none, or corrupt) it exits with code 1 and says why.
 * Each node is a JVM of its own, killed with kill -9 (the snapshot must already be on disk).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SnapshotStartTest {

  @TempDir
  Path dir;

  private final Vertx vertx = Vertx.vertx();
  private final Http http = new Http(vertx);
  private TestDatabase db;
  private Backend backend;
  private TcpProxy relay;
  private NodeProcess node;
  private Map<String, String> env;

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.migrated();
    backend = Backend.start(vertx, req -> req.response().end("ok " + req.path()));
    relay = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    Path routes = dir.resolve("routes.yaml");
    Files.writeString(routes, "format_version: 1\nservices:\n  - {name: svc, targets: [{address: \"127.0.0.1:"
        + backend.port() + "\"}]}\nroutes:\n  - {name: r1, service: svc, paths: [\"/r1\"]}\n");
    env = new HashMap<>(Map.of("SLUICE_PG_URL", "postgresql://" + TestDatabase.USER + "@127.0.0.1:" + relay.port()
        + "/" + db.name(), "SLUICE_ROUTES_FILE", routes.toString(), "SLUICE_NODE_DATA_DIR", dir.toString()));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    relay.close();
    backend.close();
    db.close();
    vertx.close().await();
  }

  private Path snapshotFile() {
    return snapshotFileOf(relay, db);
  }

  /** Where node n1 keeps its snapshot of {@code database} reached through {@code through}. */
  private Path snapshotFileOf(TcpProxy through, TestDatabase database) {
    return dir.resolve("config-n1-" + identity(through, database).shortHash() + ".json");
  }

  private static DatabaseIdentity identity(TcpProxy through, TestDatabase database) {
    return DatabaseIdentity.of("127.0.0.1", through.port(), database.name());
  }

  /** A node that applied r1 and r2 (the second through the admin API), killed once its snapshot holds both. */
  private void runOnceAndKill() throws Exception {
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    io.sluice.testing.Eventually.eventually("the node is ready", Duration.ofSeconds(60), () -> node.adminStatus("/health/ready") == 200);
    assertEquals(201, node.admin(HttpMethod.POST, "/routes?wait=true", new JsonObject().put("name", "r2")
        .put("service", "svc").put("paths", new JsonArray().add("/r2"))).status());
    long version = db.configVersion();
    eventually("the snapshot holds version " + version, () -> {
      try {
        return new LocalSnapshot(snapshotFile(), identity(relay, db)).read().version() == version;
      } catch (LocalSnapshot.Unusable notYet) {
        return false;
      }
    });
    node.kill();
    relay.refuse();
    relay.closeOpenConnections();
  }

  @Test
  void started_without_postgres_it_serves_its_snapshot_stale_and_catches_up_when_the_database_answers()
      throws Exception {
    runOnceAndKill();
    long restarted = System.currentTimeMillis();
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    eventually("ready from the snapshot", () -> node.adminStatus("/health/ready") == 200);
    assertEquals(200, node.proxy("/r1").status());
    assertEquals(200, node.proxy("/r2").status(), "the route added through the admin API is in the snapshot");
    JsonObject ready = node.adminJson("/health/ready");
    assertEquals("DEGRADED", ready.getString("status"), ready.encodePrettily());
    assertTrue(ready.encode().contains("\"stale\":true"), ready.encodePrettily());
    JsonObject self = node.adminJson("/cluster").getJsonObject("self");
    assertEquals(true, self.getBoolean("stale"), self.encodePrettily());
    assertEquals("snapshot", self.getString("config_source"));
    // The staleness is the snapshot's age, not the time since this process started (it never reached PostgreSQL).
    String lastReachable = ready.getJsonObject("checks").getJsonObject("store").getString("last_reachable");
    assertTrue(java.time.Instant.parse(lastReachable).toEpochMilli() < restarted, ready.encodePrettily());
    assertTrue(self.getLong("store_last_contact_ms_ago") > System.currentTimeMillis() - restarted,
        self.encodePrettily());

    // Written while the node could not see it; served once PostgreSQL answers again.
    db.transaction("insert into routes (name, service_id, paths) select 'r3', id, '{/r3}' from services"
        + " where name = 'svc'");
    assertEquals(404, node.proxy("/r3").status());
    relay.forward();
    eventually("caught up", () -> node.proxy("/r3").status() == 200);
    eventually("no longer stale", () -> !node.adminJson("/cluster").getJsonObject("self").getBoolean("stale"));
    assertEquals(db.configVersion(), node.adminJson("/cluster").getJsonObject("self").getLong("applied_version"));
  }

  /** A server that accepts the connection and never answers (hung, or a half-open balancer) is unreachable too. */
  @Test
  void started_against_a_server_that_never_answers_it_serves_its_snapshot() throws Exception {
    runOnceAndKill();
    relay.swallow();
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    eventually("ready from the snapshot", () -> node.adminStatus("/health/ready") == 200);
    assertEquals(200, node.proxy("/r2").status());
    assertEquals("snapshot", node.adminJson("/cluster").getJsonObject("self").getString("config_source"));
    relay.forward();
    db.transaction("insert into routes (name, service_id, paths) select 'r3', id, '{/r3}' from services"
        + " where name = 'svc'");
    eventually("caught up once the server answers", () -> node.proxy("/r3").status() == 200);
  }

  @Test
  void without_postgres_and_without_a_snapshot_it_exits_1_saying_why() throws Exception {
    relay.refuse();
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    assertEquals(1, node.exitCode(90), node.log(3000));
    assertTrue(node.log(5000).contains("there is no local snapshot to serve: no snapshot at"), node.log(3000));
    // The driver's reason in one line ("The connection attempt failed.": the relay accepts and closes), not Flyway's
    // banner around it.
    assertTrue(node.log(5000).contains("does not answer (The connection attempt failed.) and"), node.log(3000));
    assertFalse(node.log(5000).contains("SQL State"), node.log(3000));
  }

  @Test
  void a_corrupt_snapshot_is_refused_and_never_served() throws Exception {
    runOnceAndKill();
    String written = Files.readString(snapshotFile());
    Files.writeString(snapshotFile(), written.replace("/r2", "/r9"));
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    assertEquals(1, node.exitCode(90), node.log(3000));
    assertTrue(node.log(5000).contains("does not match its checksum"), node.log(3000));
  }

  /**
   * Two databases, one data directory and one node name (the defaults share both): each database's snapshot has
   * its own file, and a snapshot of the other database, even at this database's file name, is never served.
   */
  @Test
  void a_snapshot_of_another_database_is_never_served() throws Exception {
    runOnceAndKill();
    TestDatabase other = TestDatabase.create();
    TcpProxy otherRelay = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    try {
      otherRelay.refuse();
      Path mine = snapshotFileOf(otherRelay, other);
      assertTrue(!mine.equals(snapshotFile()), "one file per database");
      Files.copy(snapshotFile(), mine);  // what a shared file name did: the other database's state in this node's file
      env.put("SLUICE_PG_URL", "postgresql://" + TestDatabase.USER + "@127.0.0.1:" + otherRelay.port() + "/"
          + other.name());
      node = NodeProcess.start(http, dir, "n1", "256m", env);
      assertEquals(1, node.exitCode(90), node.log(3000));
      String log = node.log(5000);
      assertTrue(log.contains("is the configuration of database 127.0.0.1:" + relay.port() + "/" + db.name())
          && log.contains("not of this node's 127.0.0.1:" + otherRelay.port() + "/" + other.name()), log);
    } finally {
      otherRelay.close();
      other.close();
    }
  }

  /**
   * The snapshot was written while pg.url named 127.0.0.1; the node starts, PostgreSQL down, naming localhost (the
   * same server): it serves that snapshot, and once the database answers it is the database it served.
   */
  @Test
  void a_snapshot_written_naming_127_0_0_1_is_served_to_the_node_naming_localhost() throws Exception {
    runOnceAndKill();
    env.put("SLUICE_PG_URL", "postgresql://" + TestDatabase.USER + "@localhost:" + relay.port() + "/" + db.name());
    assertTrue(!Files.exists(dir.resolve("config-n1-" + DatabaseIdentity.of("localhost", relay.port(), db.name())
        .shortHash() + ".json")), "no file of its own at localhost yet");
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    eventually("ready from the snapshot", () -> node.adminStatus("/health/ready") == 200);
    assertEquals(200, node.proxy("/r2").status(), "the route added through the admin API is in the snapshot");
    assertEquals("snapshot", node.adminJson("/cluster").getJsonObject("self").getString("config_source"));
    assertTrue(node.log(Integer.MAX_VALUE).contains("serving snapshot " + snapshotFile()), node.log(3000));
    relay.forward();
    eventually("no longer stale", () -> !node.adminJson("/cluster").getJsonObject("self").getBoolean("stale"));
    String log = node.log(Integer.MAX_VALUE);
    assertTrue(log.contains("PostgreSQL answers again") && !log.contains("another database at the same address"),
        "the database it reached is the one whose snapshot it served: " + node.log(3000));
  }

  @Test
  void a_snapshot_written_before_snapshots_named_their_database_is_refused() throws Exception {
    relay.refuse();
    Files.writeString(dir.resolve("config-n1.json"), new JsonObject().put("format", 1).put("version", 3)
        .put("written_at", 0L).put("sha256", "x").put("content", new JsonObject().put("version", 3)
            .put("entities", new JsonObject())).encode());
    node = NodeProcess.start(http, dir, "n1", "256m", env);
    assertEquals(1, node.exitCode(90), node.log(3000));
    assertTrue(node.log(5000).contains("config-n1.json (written by an earlier Sluice) does not name the database"),
        node.log(3000));
  }

  private void eventually(String what, Eventually.Condition condition) {
    Eventually.eventually(what, Duration.ofSeconds(60), condition, () -> node.log(4000));
  }
}

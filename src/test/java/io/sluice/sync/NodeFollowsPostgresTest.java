package io.sluice.sync;

import static io.sluice.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Backend;
import io.sluice.testing.Http;
import io.sluice.testing.TestDatabase;
import io.sluice.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A node in PostgreSQL mode: seeded from its routes file, then following changes made with plain SQL. */
@ExtendWith(VertxExtension.class)
class NodeFollowsPostgresTest {

  private TestDatabase db;
  private Backend backend;
  private TestNode node;
  private Http http;

  @BeforeEach
  void start(Vertx vertx) {
    db = TestDatabase.migrated();
    backend = Backend.start(vertx, req -> req.response().end("backend " + req.path()));
    http = new Http(vertx);
    String url = db.url();
    node = TestNode.start("""
        format_version: 1
        services:
          - name: svc
            targets: [{address: "127.0.0.1:%d"}]
        routes:
          - {name: first, service: svc, paths: ["/first"]}
        """.formatted(backend.port()), Map.of("SLUICE_PG_URL", url));
  }

  @AfterEach
  void stop() {
    node.close();
    backend.close();
    db.close();
  }

  private int status(String path) {
    return http.get(node.proxyPort(), path).status();
  }

  @Test
  void an_empty_database_is_seeded_from_the_routes_file() {
    assertEquals(200, status("/first/x"));
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'first'"));
    assertEquals(db.configVersion(), node.node().appliedVersion());
  }

  @Test
  void a_route_inserted_with_plain_sql_is_served_without_a_restart() throws Exception {
    assertEquals(404, status("/second/x"));
    db.transaction("insert into routes (name, service_id, paths) select 'second', id, '{/second}' from services"
        + " where name = 'svc'");
    eventually("the new route answers", () -> status("/second/x") == 200);
    assertEquals(db.configVersion(), node.node().appliedVersion());
  }

  @Test
  void without_prepared_statements_a_node_follows_changes_too() throws Exception {
    // Behind a pooler in transaction mode (pg.prepared_statements false): every statement parsed afresh.
    node.close();
    node = TestNode.start("format_version: 1\n", Map.of("SLUICE_PG_URL", db.url(),
        "SLUICE_PG_PREPARED_STATEMENTS", "false"));
    assertEquals(200, status("/first/x"));
    db.transaction("insert into routes (name, service_id, paths) select 'second', id, '{/second}' from services"
        + " where name = 'svc'");
    eventually("the new route answers", () -> status("/second/x") == 200);
    db.transaction("delete from routes where name = 'first'");
    eventually("the deleted route is gone", () -> status("/first/x") == 404);
    assertEquals(db.configVersion(), node.node().appliedVersion());
  }

  @Test
  void a_change_made_while_the_listener_connection_was_killed_still_arrives() throws Exception {
    long killed = db.queryLong("select count(pg_terminate_backend(pid)) from pg_stat_activity"
        + " where application_name = 'sluice-config-listener' and datname = current_database()");
    assertTrue(killed >= 1, "the listener's backend was found and killed");
    db.transaction("delete from routes where name = 'first'");
    eventually("the deleted route is gone", () -> status("/first/x") == 404);
  }
}

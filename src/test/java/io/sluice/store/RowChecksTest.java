package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.FieldError;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.sql.Connection;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.util.PSQLException;

/**
 * What PostgreSQL itself refuses of the declarative schema (V5__refuse_invalid_rows.sql), written as an
 * operator's psql session would write it, and how a refusal reads once the store hands it on.
 */
@ExtendWith(VertxExtension.class)
class RowChecksTest {

  private static final String SERVICE = "insert into services (name, targets) values ('echo', '[{\"address\": \"127.0.0.1:8080\"}]')";

  private TestDatabase db;

  @BeforeEach
  void create() {
    db = TestDatabase.create();
  }

  @AfterEach
  void drop() {
    db.close();
  }

  /** The refusal of {@code sql}: its SQLSTATE, column and message; null when PostgreSQL accepted it. */
  private String[] refusal(String sql) {
    try (Connection c = db.jdbc()) {
      c.createStatement().execute(sql);
      return null;
    } catch (PSQLException e) {
      var m = e.getServerErrorMessage();
      return new String[] {e.getSQLState(), m == null ? null : m.getColumn(), m == null ? null : m.getMessage()};
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private void refused(String sql, String column, String message) {
    String[] r = refusal(sql);
    assertTrue(r != null, "accepted: " + sql);
    assertEquals("23514", r[0], sql + ": " + r[2]);
    assertEquals(column, r[1], sql + ": " + r[2]);
    assertTrue(r[2].startsWith(message), r[2]);
  }

  @Test
  void refuses_the_psql_insert_of_a_path_without_a_slash_naming_the_column() {
    db.migrations().migrate();
    db.transaction(SERVICE);
    long version = db.configVersion();
    refused("insert into routes (name, service_id, paths) select 'badpath', id, '{nopath}' from services"
        + " where name='echo'", "paths", "routes.paths[0]: 'nopath' must start with /, =/ or ~");
    assertEquals(version, db.configVersion(), "nothing was written");
  }

  @Test
  void refuses_what_the_declarative_schema_refuses() {
    db.migrations().migrate();
    db.transaction(SERVICE);
    String route = "insert into routes (name, service_id, %s) select 'r', id, %s from services where name = 'echo'";
    refused(route.formatted("paths", "'{/ok,/a/../b}'"), "paths", "routes.paths[1]: '/a/../b' must be a normalized");
    refused(route.formatted("paths", "'{/a//b}'"), "paths", "routes.paths[0]");
    refused(route.formatted("paths", "'{\"/a/{id}x\"}'"), "paths", "routes.paths[0]");
    refused(route.formatted("paths", "'{\"=/a/{id}\"}'"), "paths", "routes.paths[0]");
    refused(route.formatted("paths", "'{\"/a b\"}'"), "paths", "routes.paths[0]");
    refused(route.formatted("methods", "'{GET,FETCH}'"), "methods", "routes.methods[1]: 'FETCH' must be one of");
    refused(route.formatted("hosts", "'{\"exa mple.com\"}'"), "hosts", "routes.hosts[0]");
    refused(route.formatted("headers", "'{\"X-A\": []}'"), "headers", "routes.headers.X-A");
    String service = "insert into services (name, targets, %s) values ('s', '[{\"address\": \"h:80\"}]', %s)";
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"h:70000\"}]')", "targets",
        "services.targets[0].address: port must be 1 to 65535");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"no-port\"}]')", "targets",
        "services.targets[0].address");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"ftp://h:21\"}]')", "targets",
        "services.targets[0].address");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"https://h:70000\"}]')", "targets",
        "services.targets[0].address: port must be 1 to 65535");
    refused(service.formatted("tls", "'{\"verify\": \"no\"}'"), "tls", "services.tls.verify: must be true or false");
    refused(service.formatted("tls", "'{\"ca_bundle\": \"not pem\"}'"), "tls",
        "services.tls.ca_bundle: must be PEM certificates");
    refused(service.formatted("tls", "'{\"sni\": \"x\"}'"), "tls", "services.tls.sni: unknown key");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"h:80\", \"weight\": 0}]')",
        "targets", "services.targets: at least one target needs a weight above 0");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"h:80\", \"port\": 1}]')",
        "targets", "services.targets[0].port: unknown key");
    refused(service.formatted("load_balancing", "'{\"algorithm\": \"random\"}'"), "load_balancing",
        "services.load_balancing.algorithm");
    refused(service.formatted("retry_backoff", "'{\"base_ms\": 2000}'"), "retry_backoff",
        "services.retry_backoff.cap_ms: must be at least base_ms");
    refused(service.formatted("timeouts", "'{\"read_ms\": 0}'"), "timeouts",
        "services.timeouts.read_ms: must be an integer from 1 to 3600000");
    refused(service.formatted("circuit_breaker", "'{\"failures\": 2.5}'"), "circuit_breaker",
        "services.circuit_breaker.failures");
    refused(service.formatted("health_check", "'{\"interval_ms\": 10}'"), "health_check",
        "services.health_check.interval_ms: must be an integer from 100 to 3600000");
    refused(service.formatted("health_check", "'{\"type\": \"udp\"}'"), "health_check",
        "services.health_check.type: must be http or tcp");
    refused(service.formatted("health_check", "'{\"expected_statuses\": [700]}'"), "health_check",
        "services.health_check.expected_statuses");
    refused(service.formatted("health_check", "'{\"probe\": 1}'"), "health_check",
        "services.health_check.probe: unknown key");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"srv:/x\"}]')", "targets",
        "services.targets[0].address");
    refused("insert into services (name, targets) values ('s', '[{\"address\": \"k8s://orders:80\"}]')", "targets",
        "services.targets[0].address: 'k8s://orders:80' must be k8s://service.namespace:port");
    assertEquals("23514", refusal("update services set retries = -1 where name = 'echo'")[0], "retries >= 0 (V1)");
  }

  @Test
  void accepts_every_form_the_declarative_schema_accepts() {
    db.migrations().migrate();
    db.transaction(SERVICE,
        "insert into services (name, targets, load_balancing, retry_backoff, timeouts, circuit_breaker) values"
            + " ('full', '[{\"address\": \"a.example:1\", \"weight\": 0}, {\"address\": \"b:65535\", \"weight\": 1000}]',"
            + " '{\"algorithm\": \"consistent-hash\", \"hash_on\": \"header:X-User\"}', '{\"base_ms\": 0, \"cap_ms\": 0}',"
            + " '{\"connect_ms\": 1, \"read_ms\": 3600000}', '{\"failures\": 1, \"open_ms\": 10}')",
        "insert into services (name, targets) values ('pods', '[{\"address\": \"k8s://orders.shop:8080\"},"
            + " {\"address\": \"k8s://orders.shop:http\"}]')",
        "insert into services (name, targets, health_check) values ('probed', '[{\"address\": \"srv://_http._tcp.api.example\"}]',"
            + " '{\"type\": \"http\", \"path\": \"/healthz\", \"host\": \"api.example\", \"interval_ms\": 100,"
            + " \"timeout_ms\": 1, \"healthy_threshold\": 100, \"unhealthy_threshold\": 1, \"expected_statuses\": [200, 599],"
            + " \"slow_start_ms\": 0}')",
        "insert into routes (name, service_id, paths, methods, hosts, headers) select 'all', id,"
            + " '{/, /a/, =/exact, \"/users/{id}/x\", \"~^/(a|b)+$\", \"~/(unclosed\"}', '{GET,POST}',"
            + " '{\"*.example.com\", api.example}', '{\"X-A\": [\"1\", \"2\"]}' from services where name = 'echo'");
    assertEquals(1, db.queryLong("select count(*) from routes"));
  }

  @Test
  void rows_that_break_a_new_rule_do_not_stop_the_migration_and_new_rows_are_checked() {
    Flyway.configure().dataSource(Migrations.jdbcUrl(db.connectOptions()), TestDatabase.USER, TestDatabase.PASSWORD)
        .locations(Migrations.LOCATION).target("4").load().migrate();
    db.transaction(SERVICE,
        "insert into routes (name, service_id, paths) select 'old-bad', id, '{nopath}' from services");
    Migrations.Result migrated = db.migrations().migrate();
    assertEquals(db.migrations().latestKnown(), migrated.schemaVersion());
    assertFalse(db.queryString("select convalidated::text from pg_constraint where conname = 'routes_paths_valid'")
        .equals("true"), "the paths rule stays NOT VALID while a row breaks it");
    assertEquals("true", db.queryString(
        "select convalidated::text from pg_constraint where conname = 'routes_methods_valid'"));
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'old-bad'"), "the old row is kept");
    refused("insert into routes (name, service_id, paths) select 'new-bad', id, '{nopath}' from services",
        "paths", "routes.paths[0]");
  }

  @Test
  void a_clean_database_gets_every_rule_validated() {
    db.migrations().migrate();
    assertEquals(0, db.queryLong("select count(*) from pg_constraint where conname like '%\\_valid' and not convalidated"));
    // V5's rules and V23's tenants_hosts_valid
    assertEquals(12, db.queryLong("select count(*) from pg_constraint where conname like '%\\_valid'"));
  }

  @Test
  void each_row_records_the_configuration_version_that_last_wrote_it() {
    db.migrations().migrate();
    db.transaction(SERVICE);
    db.transaction("insert into routes (name, service_id) select 'r', id from services");
    assertEquals(1, db.queryLong("select changed_in from services"));
    assertEquals(2, db.queryLong("select changed_in from routes"));
    db.transaction("update services set retries = 3");
    assertEquals(3, db.queryLong("select changed_in from services"));
    assertEquals(3, db.configVersion());
  }

  @Test
  void a_refusal_reads_as_the_field_and_the_reason(Vertx vertx) throws Exception {
    db.migrations().migrate();
    db.transaction(SERVICE);
    Pool pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    try {
      Throwable paths = failure(pool.query("insert into routes (name, service_id, paths) select 'x', id, '{nopath}'"
          + " from services").execute());
      assertEquals(new FieldError("paths[0]", "'nopath' must start with /, =/ or ~"), SqlStates.refusal(paths, false));
      assertEquals("routes.paths[0]", SqlStates.refusal(paths, true).field());
      Throwable retries = failure(pool.query("update services set retries = 11").execute());
      FieldError r = SqlStates.refusal(retries, false);
      assertEquals("retries", r.field());
      assertFalse(r.reason().contains("violates"), "never PostgreSQL's own text: " + r.reason());
      Throwable unique = failure(pool.query(SERVICE).execute());
      assertNull(SqlStates.refusal(unique, false), "a duplicate is a conflict, not a refused field");
    } finally {
      pool.close();
    }
  }

  private static Throwable failure(io.vertx.core.Future<?> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().handle((v, t) -> t).get();
  }
}

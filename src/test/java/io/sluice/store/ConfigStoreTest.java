package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.ConfigException;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The reactive store: seeding, snapshots equal to the declarative records, the change log in order. */
@ExtendWith(VertxExtension.class)
class ConfigStoreTest {

  /** Every setting of the declarative format, two tenants and a service without one. */
  private static final String RICH = """
      format_version: 1
      services:
        - name: orders
          tenant: acme
          path: /v2
          targets: [{address: "10.0.0.5:8080", weight: 100}, {address: "10.0.0.6:8080", weight: 50}]
          load_balancing: {algorithm: consistent-hash, hash_on: "header:X-User-Id"}
          retries: 3
          retry_backoff: {base_ms: 10, cap_ms: 400}
          timeouts: {connect_ms: 500, read_ms: 1500, idle_ms: 9000}
          circuit_breaker: {failures: 7, open_ms: 2500}
        - name: billing
          tenant: globex
          targets: [{address: "billing.internal:9000"}]
        - name: static
          targets: [{address: "127.0.0.1:8081", weight: 0}, {address: "127.0.0.1:8082"}]
      routes:
        - name: orders-api
          service: orders
          hosts: [api.example.com, "*.example.org"]
          paths: ["/orders", "=/orders-health", "/users/{id}/orders", "~^/v[0-9]+/orders"]
          methods: [GET, POST]
          headers: {X-Version: ["2", "2.1"], X-Tier: [gold]}
          strip_path: true
          preserve_host: true
          priority: 10
        - {name: billing, service: billing, paths: ["/billing"]}
        - {name: zz-first-declared-last-alphabetically, service: static}
        - {name: aa-last, service: static, paths: ["/assets"], priority: -5}
      """;

  private Vertx vertx;
  private TestDatabase db;
  private Pool pool;
  private ConfigStore store;

  @BeforeEach
  void create(Vertx vertx) {
    this.vertx = vertx;
    db = TestDatabase.migrated();
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(db.connectOptions()).using(vertx)
        .build();
    store = new ConfigStore(vertx, pool);
  }

  @AfterEach
  void drop() {
    try {
      if (pool != null) {
        pool.close().await();
      }
    } finally {
      db.close();
    }
  }

  @Test
  void snapshot_returns_what_the_shipped_routes_file_seeded() {
    GatewayConfig file = DeclarativeConfig.read(Path.of("conf/routes.yaml"));
    OptionalLong seeded = store.importConfig(file).await();
    assertEquals(OptionalLong.of(1), seeded);
    Snapshot snapshot = store.loadSnapshot().await();
    assertEquals(1, snapshot.version());
    assertEquals(tenanted(file), snapshot.config());
    assertEquals(1L, store.currentVersion().await());
  }

  @Test
  void every_declarative_setting_survives_the_round_trip_in_declaration_order() {
    GatewayConfig rich = DeclarativeConfig.parse(RICH);
    store.importConfig(rich).await();
    assertEquals(tenanted(rich), store.loadSnapshot().await().config());
    assertEquals(3, db.queryLong("select count(*) from tenants"), "acme, globex and the default one");
    assertEquals(1, db.queryLong("select count(*) from services s join tenants t on t.id = s.tenant_id"
        + " where t.name = 'default'"), "a service that names no tenant is the default tenant's");
  }

  @Test
  void seeding_a_database_that_holds_configuration_writes_nothing() {
    store.importConfig(DeclarativeConfig.parse(RICH)).await();
    GatewayConfig other = DeclarativeConfig.read(Path.of("conf/routes.yaml"));
    assertEquals(OptionalLong.empty(), store.importConfig(other).await());
    assertEquals(1, db.configVersion());
    assertEquals(tenanted(DeclarativeConfig.parse(RICH)), store.loadSnapshot().await().config());
  }

  @Test
  void nodes_seeding_at_once_seed_once() {
    GatewayConfig file = DeclarativeConfig.read(Path.of("conf/routes.yaml"));
    List<OptionalLong> results = Future.all(store.importConfig(file), store.importConfig(file),
        store.importConfig(file)).await().list();
    assertEquals(1, results.stream().filter(OptionalLong::isPresent).count(), results.toString());
    assertEquals(1, db.queryLong("select count(*) from services"));
  }

  @Test
  void rows_written_with_plain_sql_take_the_declarative_defaults() {
    db.transaction("""
        insert into services (name, targets) values ('svc', '[{"address": "127.0.0.1:9000"}]');
        insert into routes (name, service_id) select 'r', id from services;
        """);
    GatewayConfig expected = DeclarativeConfig.parse("""
        format_version: 1
        services: [{name: svc, targets: [{address: "127.0.0.1:9000"}]}]
        routes: [{name: r, service: svc}]
        """);
    Snapshot snapshot = store.loadSnapshot().await();
    assertEquals(tenanted(expected), snapshot.config());
    assertEquals(1, snapshot.version());
  }

  @Test
  void a_row_that_breaks_the_declarative_rules_fails_the_snapshot_with_its_field() {
    store.importConfig(DeclarativeConfig.parse(RICH)).await();
    db.transaction("update routes set paths = '{/ok, \"~(\"}' where name = 'billing'");
    ConfigException e = assertThrows(ConfigException.class, () -> store.loadSnapshot().await());
    assertEquals(1, e.errors().size(), e.errors().toString());
    FieldError error = e.errors().get(0);
    assertEquals("routes[1].paths[1]", error.field());
    assertTrue(error.reason().startsWith("invalid regex"), error.reason());
  }

  @Test
  void a_snapshot_and_its_version_agree_while_writers_commit() throws Exception {
    store.importConfig(DeclarativeConfig.read(Path.of("conf/routes.yaml"))).await();
    int writes = 40;
    CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
      for (int i = 0; i < writes; i++) {
        db.transaction("insert into routes (name, service_id, paths) select 'w" + i + "', id, '{/w" + i + "}'"
            + " from services");
      }
    });
    int snapshots = 0;
    while (!writer.isDone() || snapshots == 0) {
      Snapshot s = store.loadSnapshot().await();
      assertEquals(s.version(), s.config().routes().size(),
          "version 1 holds the demo route and every later version exactly one more route");
      snapshots++;
    }
    writer.get();
    assertEquals(1 + writes, store.loadSnapshot().await().version());
  }

  @Test
  void the_change_reader_reads_what_was_committed_after_a_version_and_the_state_it_left() {
    store.importConfig(DeclarativeConfig.parse(RICH)).await();
    String billing = db.queryString("select id::text from services where name = 'billing'");
    String gone = db.queryString("select id::text from routes where name = 'aa-last'");
    db.transaction("update services set retries = 1 where name = 'billing'");
    db.transaction("delete from routes where name = 'aa-last'",
        "insert into routes (name, service_id) select 'bb', id from services where name = 'static'");
    String added = db.queryString("select id::text from routes where name = 'bb'");
    db.transaction("update routes set priority = 3 where name = 'billing'");
    String billingRoute = db.queryString("select id::text from routes where name = 'billing'");

    ChangeReader reader = new ChangeReader(pool);
    Delta delta = reader.after(1).await();
    assertEquals(4, delta.version());
    assertEquals(3, delta.committedAtMillis().size(), "one commit time per version in (1, 4]");
    EntityKey billingKey = EntityKey.of(EntityType.SERVICE, billing);
    EntityKey goneKey = EntityKey.of(EntityType.ROUTE, gone);
    assertEquals(Set.of(billingKey, goneKey, EntityKey.of(EntityType.ROUTE, added),
        EntityKey.of(EntityType.ROUTE, billingRoute)), Set.copyOf(delta.keys()));
    assertTrue(delta.entries().containsKey(goneKey));
    assertEquals(null, delta.entries().get(goneKey), "a deleted route is named with no state");
    assertTrue(delta.entries().get(billingKey).contains("\"retries\": 1"), delta.entries().get(billingKey));
    assertTrue(delta.entries().get(EntityKey.of(EntityType.ROUTE, billingRoute)).contains("\"priority\": 3"));
    assertTrue(reader.after(4).await().empty(), "nothing after the last version");
    assertEquals(2 + 3 + 4 + 1, reader.after(0).await().keys().size(),
        "each entity once however often it changed: the seed's 2 tenants, 3 services and 4 routes, and bb");
  }

  /** The configuration as stored: a service that names no tenant belongs to the default tenant. */
  static GatewayConfig tenanted(GatewayConfig c) {
    return new GatewayConfig(c.formatVersion(), c.services().stream().map(s -> s.tenant() != null ? s
        : s.withTenant(io.sluice.config.Tenants.DEFAULT)).toList(),
        c.routes());
  }
}

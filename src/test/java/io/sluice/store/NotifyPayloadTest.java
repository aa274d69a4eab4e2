package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.EntityType;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The notification a configuration commit sends (migration V17): the version, and a small change's entities
 * whole, exactly as the sync leader's read of the change log would load them, so that the leader may publish
 * it without that read; anything else (plugins, tenants, consumers, big changes) is the version alone.
 */
class NotifyPayloadTest {

  private static final String SEED = ChangeLogTest.SEED;

  private Vertx vertx;
  private TestDatabase db;
  private Pool pool;
  private ChangeReader reader;
  private PgConnection listening;
  private final BlockingQueue<String> notified = new LinkedBlockingQueue<>();

  @BeforeEach
  void create() {
    vertx = Vertx.vertx();
    db = TestDatabase.migrated();
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(db.connectOptions()).using(vertx)
        .build();
    reader = new ChangeReader(pool);
    listening = PgConnection.connect(vertx, db.connectOptions()).await();
    listening.notificationHandler(n -> {
      if (n.getChannel().equals(LeaderSession.CHANNEL)) {
        notified.add(n.getPayload());
      }
    });
    listening.query("LISTEN " + LeaderSession.CHANNEL).execute().await();
  }

  @AfterEach
  void close() {
    try {
      listening.close().await();
      pool.close().await();
      vertx.close().await();
    } finally {
      db.close();
    }
  }

  private String next() throws InterruptedException {
    String payload = notified.poll(10, TimeUnit.SECONDS);
    assertNotNull(payload, "no notification within 10 s");
    return payload;
  }

  /** The next notification, which must carry its version whole: the delta it carries. */
  private Delta nextCarried(long version) throws InterruptedException {
    String payload = next();
    String[] parts = payload.split(" ", 2);
    assertEquals(String.valueOf(version), parts[0], payload);
    assertEquals(2, parts.length, "version " + version + " came without its entities: " + payload);
    Delta carried = NotifyPayload.parse(version, parts[1]);
    assertNotNull(carried, "not a payload this build reads: " + payload);
    return carried;
  }

  private void assertVersionAlone(long version, String why) throws InterruptedException {
    assertEquals(String.valueOf(version), next(), why);
  }

  /** What the leader publishes from the notification is what it would have read. */
  private void assertAsRead(Delta carried) {
    Delta read = reader.after(carried.version() - 1).await();
    assertEquals(read.version(), carried.version());
    assertEquals(read.previous(), carried.previous());
    assertEquals(read.entries(), carried.entries());
    assertEquals(new HashSet<>(read.keys()), new HashSet<>(carried.keys()));
    assertEquals(read.committedAtMillis(), carried.committedAtMillis());
    assertEquals(read.cacheKeys(), carried.cacheKeys());
    assertEquals(read.flushCaches(), carried.flushCaches());
  }

  @Test
  void a_small_change_of_routes_and_services_comes_whole_with_its_notification_as_a_read_would_load_it()
      throws Exception {
    db.transaction(SEED);
    assertVersionAlone(1, "a tenant changed: its services' tenant name too, which the read loads");

    // Three statements of one transaction: the notification is sent at commit, with all of them.
    db.transaction("update routes set priority = 5, hosts = '{shop.example.test}' where name = 'a'",
        "insert into routes (name, service_id, paths) select 'c', id, '{/c}' from services",
        "delete from routes where name = 'b'");
    Delta two = nextCarried(2);
    assertEquals(3, two.keys().size(), two.keys().toString());
    assertTrue(two.entries().containsValue(null), "the deleted route is carried as gone: " + two.entries());
    assertTrue(two.entries().values().stream().anyMatch(e -> e != null && e.contains("shop.example.test")),
        two.entries().toString());
    assertAsRead(two);

    db.transaction("update services set retries = 3, timeouts = '{\"read_ms\": 1500}'");
    Delta three = nextCarried(3);
    assertEquals(EntityType.SERVICE, three.keys().get(0).type());
    assertAsRead(three);
  }

  @Test
  void plugins_tenants_consumers_and_big_changes_announce_their_version_alone() throws Exception {
    db.transaction(SEED);
    assertVersionAlone(1, "tenant");
    db.transaction("insert into plugins (name, scope, config) values ('cors', 'global', '{}')");
    assertVersionAlone(2, "a plugin's configuration may hold a secret (request-transformer's headers)");
    db.transaction("update routes set priority = 1 where name = 'a'",
        "update plugins set enabled = false");
    assertVersionAlone(3, "a route and a plugin");
    db.transaction("insert into consumers (tenant_id, username) select id, 'ann' from tenants");
    assertVersionAlone(4, "consumers evict cache keys");
    db.transaction("insert into routes (name, service_id, paths) select 'r' || g, s.id, array['/r/' || g]"
        + " from services s, generate_series(1, " + (NotifyPayload.ANNOUNCED_ROWS + 1) + ") g");
    assertVersionAlone(5, "more rows than a notification carries");
    db.transaction("update routes set hosts = array(select 'h' || g || '.example.test' from generate_series(1, 600) g)"
        + " where name = 'a'");
    assertVersionAlone(6, "more than NOTIFY's 8,000 bytes");
    db.transaction("update routes set priority = 2 where name = 'b'");
    assertAsRead(nextCarried(7));
  }

  @Test
  void a_change_after_the_notification_fired_early_is_refused_and_the_transaction_loses_nothing()
      throws Exception {
    db.transaction(SEED);
    assertVersionAlone(1, "seed");
    try (Connection c = db.jdbc()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("update routes set priority = 9 where name = 'a'");
        st.execute("set constraints all immediate");
        SQLException refused = assertThrows(SQLException.class,
            () -> st.execute("update routes set priority = 9 where name = 'b'"));
        assertEquals("55000", refused.getSQLState());
        assertTrue(refused.getMessage().contains("already announced"), refused.getMessage());
      }
      c.rollback();
    }
    assertEquals(1, db.configVersion());
    assertEquals(0, db.queryLong("select count(*) from routes where priority = 9"));
    assertNull(notified.poll(300, TimeUnit.MILLISECONDS), "the refused transaction notified nobody");

    // Made immediate after its last change, a transaction is whole when it fires: it commits and is carried.
    db.transaction("update routes set priority = 4 where name = 'a'", "set constraints all immediate");
    assertAsRead(nextCarried(2));
  }
}

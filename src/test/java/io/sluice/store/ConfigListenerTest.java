package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.testing.TcpProxy;
import io.sluice.testing.TestDatabase;
import io.sluice.util.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The listener against a real PostgreSQL, directly or through a relay that can refuse or silence
 * connections: catch-up on connect and on every notification, reconnect after its backend is killed,
 * a database down at boot, a silent connection found by the heartbeat.
 */
@ExtendWith(VertxExtension.class)
class ConfigListenerTest {

  /** Fast enough for a test: heartbeat every 300 ms, answered within 500 ms, retries within 20 to 200 ms. */
  private static final ConfigListener.Timing FAST =
      new ConfigListener.Timing(300, 500, 2_000, new Backoff(20, 200));

  private Vertx vertx;
  private TestDatabase db;
  private Pool pool;
  private ConfigStore store;
  private TcpProxy relay;
  private ConfigListener listener;
  private final BlockingQueue<Wakeup> wakeups = new LinkedBlockingQueue<>();

  @BeforeEach
  void create(Vertx vertx) {
    this.vertx = vertx;
    db = TestDatabase.migrated();
    db.transaction("insert into services (name, targets) values ('svc', '[{\"address\": \"127.0.0.1:9000\"}]')");
    pool = PgBuilder.pool().connectingTo(db.connectOptions()).using(vertx).build();
    store = new ConfigStore(vertx, pool);
  }

  @AfterEach
  void drop() {
    try {
      if (listener != null) {
        listener.stop().await();
      }
      if (relay != null) {
        relay.close();
      }
      if (pool != null) {
        pool.close().await();
      }
    } finally {
      db.close();
    }
  }

  private ConfigListener listen(PgConnectOptions options) {
    listener = new ConfigListener(vertx, options, FAST, wakeups::add);
    return listener;
  }

  private PgConnectOptions throughRelay() {
    relay = TcpProxy.start(vertx, TestDatabase.HOST, TestDatabase.PORT);
    return db.connectOptions().setHost("127.0.0.1").setPort(relay.port());
  }

  /** The next wake-up of that cause, skipping others (heartbeats may interleave). */
  private Wakeup next(Wakeup.Cause cause) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      Wakeup w = wakeups.poll(100, TimeUnit.MILLISECONDS);
      if (w != null && w.cause() == cause) {
        return w;
      }
    }
    return fail("no " + cause + " wake-up within 15 s");
  }

  private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
    for (int i = 0; i < 300; i++) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(50);
    }
    fail(what);
  }

  private long listenerBackends() {
    return db.queryLong("select count(*) from pg_stat_activity where datname = '" + db.name()
        + "' and application_name = '" + ConfigListener.APPLICATION_NAME + "'");
  }

  @Test
  void catches_up_on_connect_and_on_every_notification_with_its_version() throws Exception {
    listen(db.connectOptions()).start().await();
    assertEquals(new Wakeup(Wakeup.Cause.CONNECTED, 1), next(Wakeup.Cause.CONNECTED));
    assertTrue(listener.connected());

    db.transaction("update services set retries = 4",
        "insert into routes (name, service_id) select 'r', id from services");
    assertEquals(new Wakeup(Wakeup.Cause.NOTIFIED, 2), next(Wakeup.Cause.NOTIFIED));
    db.transaction("update routes set priority = 1");
    assertEquals(new Wakeup(Wakeup.Cause.NOTIFIED, 3), next(Wakeup.Cause.NOTIFIED));
  }

  @Test
  void reconnects_after_its_backend_is_terminated_and_catches_up_on_what_it_missed() throws Exception {
    listen(throughRelay()).start().await();
    long applied = next(Wakeup.Cause.CONNECTED).version();
    assertEquals(1, listenerBackends());

    relay.refuse();  // keep it away until the change below is committed: its NOTIFY is then surely lost
    int attemptsBefore = relay.accepted();
    assertEquals(1, db.queryLong("select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = '"
        + db.name() + "' and application_name = '" + ConfigListener.APPLICATION_NAME + "'"));
    eventually("the listener notices and tries again",
        () -> !listener.connected() && relay.accepted() > attemptsBefore);
    db.transaction("update services set retries = 5");
    relay.forward();

    Wakeup again = next(Wakeup.Cause.CONNECTED);
    assertEquals(2, again.version(), "the version committed while it was away");
    List<Change> missed = store.changesAfter(applied).await();
    assertEquals(1, missed.size(), missed.toString());
    assertEquals("services", missed.get(0).entity());
    assertEquals(Change.Op.UPDATE, missed.get(0).op());
    assertTrue(listener.connected());

    db.transaction("update services set retries = 6");
    assertEquals(new Wakeup(Wakeup.Cause.NOTIFIED, 3), next(Wakeup.Cause.NOTIFIED), "it listens again");
  }

  @Test
  void waits_for_a_database_that_is_down_at_boot() throws Exception {
    PgConnectOptions options = throughRelay();
    relay.refuse();
    Future<Void> started = listen(options).start();
    eventually("the listener keeps trying", () -> relay.accepted() >= 3);
    assertFalse(started.isComplete());
    assertFalse(listener.connected());

    relay.forward();
    started.await();
    assertEquals(new Wakeup(Wakeup.Cause.CONNECTED, 1), next(Wakeup.Cause.CONNECTED));
    db.transaction("update services set retries = 4");
    assertEquals(new Wakeup(Wakeup.Cause.NOTIFIED, 2), next(Wakeup.Cause.NOTIFIED));
  }

  @Test
  void replaces_a_silent_connection_found_by_its_heartbeat() throws Exception {
    listen(throughRelay()).start().await();
    next(Wakeup.Cause.CONNECTED);

    relay.silenceOpenConnections();  // half-open as the listener sees it: no error, no bytes
    db.transaction("update services set retries = 4");  // its NOTIFY never arrives
    Wakeup again = next(Wakeup.Cause.CONNECTED);
    assertEquals(2, again.version());
    assertEquals(1, store.changesAfter(1).await().size());
    assertTrue(listener.connected());
  }

  @Test
  void heartbeat_rings_when_the_version_moved_without_a_notification() throws Exception {
    listen(db.connectOptions()).start().await();
    next(Wakeup.Cause.CONNECTED);
    // No trigger on the counter itself, so this bump notifies nobody: a stand-in for a lost notification.
    db.transaction("update config_version set version = version + 1");
    assertEquals(new Wakeup(Wakeup.Cause.HEARTBEAT, 2), next(Wakeup.Cause.HEARTBEAT));
  }

  @Test
  void stop_closes_the_connection_and_silences_the_callback() throws Exception {
    listen(db.connectOptions()).start().await();
    next(Wakeup.Cause.CONNECTED);
    listener.stop().await();
    assertFalse(listener.connected());
    eventually("the listening backend is gone", () -> listenerBackends() == 0);
    wakeups.clear();
    db.transaction("update services set retries = 4");
    assertEquals(null, wakeups.poll(500, TimeUnit.MILLISECONDS));
  }
}

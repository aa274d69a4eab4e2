package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.EntityType;
import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The change reader at scale: a backlog is read in pages of whole versions, a change of many consumers
 * asks for the caches to be flushed instead of naming every key, and a log pruned past a reader makes it
 * start over with a full delta.
 */
class ChangeLogScaleTest {

  private Vertx vertx;
  private TestDatabase db;
  private Pool pool;
  private ChangeReader reader;

  @BeforeEach
  void create() {
    vertx = Vertx.vertx();
    db = TestDatabase.migrated();
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(db.connectOptions()).using(vertx)
        .build();
    reader = new ChangeReader(pool);
    db.transaction("insert into tenants (name) values ('acme')");
  }

  @AfterEach
  void close() {
    pool.close().await();
    vertx.close().await();
    db.close();
  }

  private void importConsumers(int from, int count) {
    db.transaction("insert into consumers (tenant_id, username) select t.id, 'user-' || g"
        + " from tenants t, generate_series(" + from + ", " + (from + count - 1) + ") g where t.name = 'acme'");
  }

  @Test
  void a_backlog_is_read_in_pages_of_whole_versions_and_big_consumer_changes_flush_the_caches() {
    long start = db.configVersion();
    int each = ChangeReader.PAGE_ROWS * 3 / 5;
    importConsumers(0, each);
    importConsumers(each, each);
    importConsumers(2 * each, each);
    assertEquals(start + 3, db.configVersion());

    Delta first = reader.after(start).await();
    assertEquals(start + 2, first.version(), "the page ends with the version holding its last row, whole");
    assertTrue(first.more(), "later versions are committed: the caller reads again");
    assertEquals(2, first.committedAtMillis().size());
    assertTrue(first.flushCaches(), each + " consumers per version are past " + ChangeReader.EVICT_KEYS_MAX);
    assertTrue(first.cacheKeys().isEmpty());
    assertTrue(first.keys().isEmpty(), "consumers are not held by nodes: none is named");

    Delta second = reader.after(first.version()).await();
    assertEquals(start + 3, second.version());
    assertFalse(second.more());
    assertTrue(second.flushCaches());
    assertTrue(reader.after(second.version()).await().empty());
  }

  /** {@code count} versions of one change-log row each (one transaction apiece, as many small writes make). */
  private void smallWrites(int count) throws Exception {
    try (java.sql.Connection c = db.jdbc(); java.sql.Statement st = c.createStatement()) {
      st.execute("set synchronous_commit = off");
      st.execute("do $$ begin for i in 1.." + count + " loop"
          + " insert into consumers (tenant_id, username) select id, 'small-' || i from tenants where name = 'acme';"
          + " commit; end loop; end $$");
    }
  }

  @Test
  void a_backlog_of_small_versions_is_read_in_pages_of_page_rows_even_where_versions_lost_their_rows()
      throws Exception {
    long start = db.configVersion();
    smallWrites(ChangeReader.PAGE_ROWS + 5);
    assertEquals(start + ChangeReader.PAGE_ROWS + 5, db.configVersion());

    Delta first = reader.after(start).await();
    assertEquals(start + ChangeReader.PAGE_ROWS, first.version(), "the page ends with its PAGE_ROWSth row");
    assertTrue(first.more());
    assertEquals(ChangeReader.PAGE_ROWS, first.committedAtMillis().size());
    Delta rest = reader.after(first.version()).await();
    assertEquals(start + ChangeReader.PAGE_ROWS + 5, rest.version());
    assertFalse(rest.more());

    // Versions without a row (none is written so today; a row deleted by hand) only end a page sooner: never
    // later than PAGE_ROWS versions on, whatever follows.
    db.transaction("delete from change_log where version between " + (start + 10) + " and " + (start + 19));
    Delta gapped = reader.after(start).await();
    assertEquals(start + ChangeReader.PAGE_ROWS, gapped.version());
    assertEquals(ChangeReader.PAGE_ROWS - 10, gapped.committedAtMillis().size());
    assertTrue(gapped.more());
  }

  @Test
  void a_small_change_of_consumers_and_credentials_names_its_cache_keys_and_its_routes() {
    importConsumers(0, 3);
    long before = db.configVersion();
    db.transaction("insert into credentials (consumer_id, kind, key_digest, key_prefix)"
            + " select id, 'api-key', sha256(username::bytea), 'k' from consumers where username = 'user-1'",
        "insert into services (name, tenant_id, targets) select 's', id, '[{\"address\": \"127.0.0.1:1\"}]'"
            + " from tenants where name = 'acme'");
    Delta delta = reader.after(before).await();
    assertFalse(delta.flushCaches());
    assertEquals(1, delta.cacheKeys().size(), delta.cacheKeys().toString());
    assertEquals(1, delta.keys().size(), "the service, not the credential: " + delta.keys());
    assertEquals(EntityType.SERVICE, delta.keys().get(0).type());
  }

  /** A pass over a backlog tells of each batch as it goes (the pruned-entries meter moved only at a pass's end). */
  @Test
  void a_long_prune_tells_of_each_batch() {
    importConsumers(0, 12_000);
    db.transaction("update change_log set at = now() - interval '8 days'");
    long rows = db.queryLong("select count(*) from change_log");
    List<Long> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
    assertEquals(rows, (long) reader.pruneLog(db.configVersion(), 7L * 24 * 3600, batches::add).await());
    assertTrue(batches.size() > 1, batches.toString());
    assertEquals(rows, batches.stream().mapToLong(Long::longValue).sum(), batches.toString());
    assertTrue(batches.stream().allMatch(n -> n <= ChangeReader.PRUNE_BATCH), batches.toString());
  }

  @Test
  void a_log_pruned_past_the_reader_makes_it_reload_everything_and_the_rest_is_followed_as_before() {
    importConsumers(0, 10);
    importConsumers(10, 10);
    long old = db.configVersion();
    importConsumers(20, 10);
    db.transaction("update change_log set at = now() - interval '8 days' where version <= " + old);

    assertEquals(0L, reader.pruneLog(old, 30L * 24 * 3600).await(), "nothing is older than 30 days");
    long rows = db.queryLong("select count(*) from change_log where version <= " + old);
    assertEquals(rows, (long) reader.pruneLog(db.configVersion(), 7L * 24 * 3600).await(),
        "every entry older than 7 days goes, the newer ones stay");
    assertEquals(0L, db.queryLong("select count(*) from change_log where version <= " + old));
    assertTrue(db.queryLong("select count(*) from change_log") > 0);

    Delta behind = reader.after(1).await();
    assertTrue(behind.full(), "versions after 1 are gone from the log: a full reload");
    assertTrue(behind.flushCaches());
    assertNotNull(behind.restartedBecause());
    assertEquals(db.configVersion(), behind.version());

    Delta current = reader.after(old).await();
    assertFalse(current.full(), "the version after " + old + " is still in the log");
    assertNull(current.restartedBecause());
    assertEquals(db.configVersion(), current.version());
  }
}

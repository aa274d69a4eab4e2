package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The configuration version counter only moves forward (migration V18): set back with psql, nodes that applied
 * the higher version would count every later change as applied without reading it.
 */
class ConfigVersionForwardTest {

  private static final String ROUTE = "insert into routes (name, service_id, paths) select '%s', id, '{/%s}'"
      + " from services where name = 'svc'";

  private TestDatabase db;

  @BeforeEach
  void create() {
    db = TestDatabase.migrated();
    db.transaction("insert into services (name, targets) values ('svc', '[{\"address\": \"127.0.0.1:1\"}]')");
  }

  @AfterEach
  void drop() {
    db.close();
  }

  @Test
  void setting_the_version_back_with_sql_is_refused_and_changes_nothing() {
    db.transaction(ROUTE.formatted("a", "a"), ROUTE.formatted("b", "b"));
    db.transaction(ROUTE.formatted("c", "c"));
    long before = db.configVersion();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> db.transaction("update config_version set version = 1"));
    assertTrue(e.getMessage().startsWith("23514") && e.getMessage().contains("cannot go backwards (from "
        + before + " to 1)"), e.getMessage());
    IllegalStateException deleted = assertThrows(IllegalStateException.class,
        () -> db.transaction("delete from config_version"));
    assertTrue(deleted.getMessage().contains("config_version cannot be deleted"), deleted.getMessage());
    assertEquals(before, db.configVersion());
  }

  @Test
  void the_ways_the_counter_moves_still_work() {
    long start = db.configVersion();
    db.transaction(ROUTE.formatted("a", "a"), ROUTE.formatted("b", "b"));  // one transaction, one version
    assertEquals(start + 1, db.configVersion());
    db.transaction("delete from routes where name = 'a'");
    assertEquals(start + 2, db.configVersion());
    // Pruning the whole change log (what the sync leader does past the retention) leaves the counter alone.
    db.transaction("delete from change_log");
    db.transaction(ROUTE.formatted("c", "c"));
    assertEquals(start + 3, db.configVersion());
    db.transaction("update config_version set version = version + 10");  // forward by hand: allowed
    assertEquals(start + 13, db.configVersion());
  }
}

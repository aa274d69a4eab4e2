package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.testing.TestDatabase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgConnection;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The triggers, driven with plain SQL as an operator's psql would: one version per transaction, in commit
 * order, a change-log entry per row, NOTIFY with the version, and the refusals.
 */
@ExtendWith(VertxExtension.class)
class ChangeLogTest {

  /** A tenant, its service and two routes (NotifyPayloadTest starts from it too). */
  static final String SEED = """
      insert into tenants (name) values ('acme');
      insert into services (name, tenant_id, targets)
        select 'orders', id, '[{"address": "10.0.0.5:8080"}]' from tenants where name = 'acme';
      insert into routes (name, service_id, paths) select 'a', id, '{/a}' from services;
      insert into routes (name, service_id, paths) select 'b', id, '{/b}' from services;
      """;

  private TestDatabase db;
  private PgConnection listening;
  private final BlockingQueue<String> notified = new LinkedBlockingQueue<>();

  @BeforeEach
  void create(Vertx vertx) {
    db = TestDatabase.migrated();
    listening = PgConnection.connect(vertx, db.connectOptions()).await();
    listening.notificationHandler(n -> {
      if (n.getChannel().equals(LeaderSession.CHANNEL)) {
        notified.add(n.getPayload());
      }
    });
    listening.query("LISTEN " + LeaderSession.CHANNEL).execute().await();
  }

  @AfterEach
  void drop() {
    try {
      if (listening != null) {
        listening.close().await();
      }
    } finally {
      db.close();
    }
  }

  /** The version the next notification announces (what it may carry besides is NotifyPayloadTest's). */
  private String nextNotification() throws InterruptedException {
    String payload = notified.poll(10, TimeUnit.SECONDS);
    assertTrue(payload != null, "no notification within 10 s");
    return payload.split(" ", 2)[0];
  }

  private List<String> changeLog(long version) {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.jdbc(); Statement st = c.createStatement();
         var rs = st.executeQuery("select entity, op from change_log where version = " + version
             + " order by entity, op")) {
      while (rs.next()) {
        rows.add(rs.getString(1) + ":" + rs.getString(2));
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return rows;
  }

  @Test
  void two_rows_changed_in_one_transaction_make_one_version_two_entries_and_one_notification()
      throws Exception {
    db.transaction(SEED);
    assertEquals(1, db.configVersion());
    assertEquals("1", nextNotification());
    assertEquals(List.of("routes:insert", "routes:insert", "services:insert", "tenants:insert"), changeLog(1));

    db.transaction("update routes set priority = 5 where name = 'a'",
        "update routes set priority = 6 where name = 'b'");
    assertEquals(2, db.configVersion());
    assertEquals(List.of("routes:update", "routes:update"), changeLog(2));
    assertEquals("2", nextNotification());

    db.transaction("update services set retries = 3");
    assertEquals("3", nextNotification(), "the next notification is the next transaction's: no duplicate of 2");
    assertEquals(3, db.queryLong("select count(distinct version) from change_log"));
  }

  @Test
  void a_row_changed_twice_in_one_transaction_has_one_entry_saying_what_happened_overall() {
    db.transaction(SEED);
    db.transaction("insert into tenants (name) values ('t2')", "update tenants set name = 't3' where name = 't2'",
        "update routes set priority = 1 where name = 'a'", "update routes set priority = 2 where name = 'a'",
        "update routes set priority = 1 where name = 'b'", "delete from routes where name = 'b'");
    assertEquals(List.of("routes:delete", "routes:update", "tenants:insert"), changeLog(2));
  }

  @Test
  void one_statement_of_many_rows_is_recorded_row_by_row_and_a_statement_of_none_takes_no_version() {
    db.transaction(SEED);
    db.transaction("""
        insert into consumers (tenant_id, username)
          select t.id, 'user-' || g from tenants t, generate_series(1, 500) g where t.name = 'acme';
        insert into credentials (consumer_id, kind, key_prefix, key_digest)
          select id, 'api-key', 'sk_bulk', sha256(username::bytea) from consumers;
        update consumers set custom_id = username where username like 'user-1%';
        delete from credentials where consumer_id in (select id from consumers where username like 'user-3%');
        """);
    assertEquals(2, db.configVersion());
    assertEquals(500, db.queryLong("select count(*) from change_log where version = 2 and entity = 'consumers'"
        + " and op = 'insert'"), "inserted then updated in one transaction is an insert");
    assertEquals(111, db.queryLong("select count(*) from change_log where version = 2 and entity = 'credentials'"
        + " and op = 'delete'"), "inserted then deleted is a delete");
    assertEquals(1000, db.queryLong("select count(*) from config_history where version = 2"));
    assertEquals(111, db.queryLong("select count(*) from config_history where version = 2 and entity = 'consumers'"
        + " and op = 'insert' and after ->> 'custom_id' = name and before is null"),
        "the last after image of a row inserted then updated");

    db.transaction("update consumers set custom_id = 'x' where false", "delete from routes where name = 'none'");
    assertEquals(2, db.configVersion(), "statements that change no row make no version");

    db.transaction("update consumers set custom_id = null where username = 'user-10'",
        "delete from credentials where consumer_id in (select id from consumers where username like 'user-2%')");
    assertEquals(3, db.configVersion());
    assertEquals("consumers:update:user-10:user-10:null", db.queryString("select entity || ':' || op || ':' || name"
        + " || ':' || (before ->> 'custom_id') || ':' || coalesce(after ->> 'custom_id', 'null')"
        + " from config_history where version = 3 and entity = 'consumers'"));
    assertEquals(111, db.queryLong("select count(*) from config_history where version = 3 and op = 'delete'"
        + " and entity = 'credentials' and after is null and before ->> 'key_ref' like 'hmac-sha256:%'"
        + " and not before ? 'key_digest' and tenant = 'acme' and name = 'sk_bulk'"),
        "a deleted key's before image, its digest a reference, with its tenant and name");
    assertEquals(111, db.queryLong("select count(*) from change_log where version = 3 and entity = 'credentials'"
        + " and op = 'delete'"));
    assertEquals(111, db.queryLong("select count(*) from credential_keys_retired where version = 3"),
        "the deleted keys' digests are retired under the same version");
  }

  @Test
  void row_version_and_updated_at_are_kept_by_the_database_not_the_writer() {
    db.transaction(SEED);
    assertEquals(1, db.queryLong("select version from routes where name = 'a'"));
    db.transaction("update routes set priority = 9, version = 100 where name = 'a'");
    assertEquals(2, db.queryLong("select version from routes where name = 'a'"),
        "the trigger bumps; 100 is ignored");
    assertEquals(1, db.queryLong("select version from routes where name = 'b'"),
        "an untouched row keeps its version");
    assertEquals(1, db.queryLong("select count(*) from routes where name = 'a' and updated_at > created_at"));
  }

  @Test
  void versions_follow_commit_order_and_writers_wait_for_each_other() throws Exception {
    db.transaction(SEED);
    try (Connection first = db.jdbc(); Connection second = db.jdbc()) {
      first.setAutoCommit(false);
      second.setAutoCommit(false);
      Statement a = first.createStatement();
      Statement b = second.createStatement();
      a.execute("select 1");  // the first transaction starts first...
      b.execute("update routes set priority = 2 where name = 'b'");  // ...but the second writes first
      int firstPid = pid(first);
      CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
        try {
          a.execute("update routes set priority = 1 where name = 'a'");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      awaitLockWait(firstPid);
      assertTrue(!blocked.isDone(), "a second configuration writer waits for the first to commit");
      second.commit();
      blocked.get(10, TimeUnit.SECONDS);
      first.commit();
    }
    assertEquals(List.of("routes:update"), changeLog(2));
    assertEquals(2, db.queryLong("select c.version from change_log c join routes r on r.id = c.id"
        + " where r.name = 'b' and c.op = 'update'"), "committed first, so the lower version");
    assertEquals(3, db.queryLong("select c.version from change_log c join routes r on r.id = c.id"
        + " where r.name = 'a' and c.op = 'update'"));
  }

  @Test
  void a_rolled_back_transaction_leaves_no_gap_in_versions() throws Exception {
    db.transaction(SEED);
    try (Connection c = db.jdbc()) {
      c.setAutoCommit(false);
      c.createStatement().execute("update routes set priority = 7");
      c.rollback();
    }
    db.transaction("update routes set priority = 8 where name = 'a'");
    assertEquals(2, db.configVersion());
    assertEquals(List.of("routes:update"), changeLog(2));
    assertEquals("1", nextNotification());
    assertEquals("2", nextNotification(), "the rolled-back transaction notified nobody");
  }

  @Test
  void deleting_a_service_still_referenced_by_a_route_fails_with_a_foreign_key_error(Vertx vertx) {
    db.transaction(SEED);
    PgConnection conn = PgConnection.connect(vertx, db.connectOptions()).await();
    try {
      Throwable e = assertThrows(Throwable.class, () ->
          conn.query("delete from services where name = 'orders'").execute().await());
      assertTrue(SqlStates.is(e, SqlStates.FOREIGN_KEY_VIOLATION), String.valueOf(SqlStates.of(e)));
    } finally {
      conn.close().await();
    }
    assertEquals(1, db.configVersion(), "nothing was recorded");
    db.transaction("delete from routes", "delete from services where name = 'orders'");
    assertEquals(List.of("routes:delete", "routes:delete", "services:delete"), changeLog(2));
  }

  @Test
  void every_configuration_table_is_recorded() {
    db.transaction(SEED);
    db.transaction("""
        insert into consumers (tenant_id, username) select id, 'alice' from tenants where name = 'acme';
        insert into credentials (consumer_id, kind, key_prefix, key_digest)
          select id, 'api-key', 'sk_ab12', sha256('not the key'::bytea) from consumers;
        insert into credentials (consumer_id, kind, jwt_issuer, jwt_algorithm, jwt_public_key)
          select id, 'jwt', 'https://issuer.example', 'RS256', '-----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnU5Sy+b4zidVnuShvuIo
        8KA2Q92RX99i6QYt1WZgpksOpQqcmxyZ2FMtQYTHIGGignNxoCrVD3Vur+6QuiDq
        ms98JzdLRw+h86zOMLzKWVmP8o5JBURVKO3IVCjWu6L1cbvebRO/IIMBEbvsxtZ7
        ML2XCHofctf8iSFba1ii3+BbcNavg5PMein1b95DmRgAWrKIPxZb3ljXM7DJ9zHD
        ypIJsvt0o3FS+0xPJUqKL9SOIhc4VYlSVuokHpNglpWlFUT4EMfek6bjZacq0Dm8
        dd0elrcz33FmlX6Hbq+X9ZcpdWDTLa6aeKUId78gxvr47IZUnnOLB9wwSXZkv86X
        ywIDAQAB
        -----END PUBLIC KEY-----' from consumers;
        insert into plugins (name, scope) values ('cors', 'global');
        insert into plugins (name, scope, route_id, config)
          select 'rate-limit', 'route', id, '{"per_second": 10}' from routes where name = 'a';
        """);
    assertEquals(List.of("consumers:insert", "credentials:insert", "credentials:insert", "plugins:insert",
        "plugins:insert"), changeLog(2));
  }

  @Test
  void what_would_escape_the_change_log_or_store_a_secret_is_refused() {
    db.transaction(SEED);
    assertEquals("0A000", sqlState("truncate routes, plugins"), "TRUNCATE fires no row trigger");
    assertEquals("23514", sqlState("update routes set id = gen_random_uuid() where name = 'a'"));
    assertEquals("23514", sqlState(
        "insert into credentials (consumer_id, kind, key_prefix) values (gen_random_uuid(), 'api-key', 'sk_x')"),
        "an api key needs its digest");
    assertEquals("23514", sqlState("""
        insert into plugins (name, scope, route_id) select 'cors', 'service', id from routes limit 1
        """), "a plugin carries the one reference its scope needs");
    assertEquals(1, db.configVersion());
  }

  private String sqlState(String sql) {
    try (Connection c = db.jdbc()) {
      c.createStatement().execute(sql);
      return null;
    } catch (SQLException e) {
      return e.getSQLState();
    }
  }

  private static int pid(Connection c) throws SQLException {
    try (var rs = c.createStatement().executeQuery("select pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private void awaitLockWait(int pid) throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      if (db.queryLong("select count(*) from pg_stat_activity where pid = " + pid
          + " and wait_event_type = 'Lock'") == 1) {
        return;
      }
      Thread.sleep(25);
    }
    fail("backend " + pid + " never waited for the version lock");
  }
}

package io.sluice.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Flyway at node start: an empty database is migrated, a current one left alone, a newer one refused. */
class MigrationsTest {

  /** The migration files (numbers may leave gaps, as Flyway allows: one taken by a branch merged later). */
  private static final java.util.List<Integer> FILES = migrationFiles();
  private static final int COUNT = FILES.size();
  private static final String NEWEST = String.valueOf(FILES.stream().mapToInt(Integer::intValue).max().orElseThrow());

  private static java.util.List<Integer> migrationFiles() {
    try {
      String[] names = new java.io.File(Migrations.class.getResource("/db/migration").toURI()).list();
      return java.util.Arrays.stream(names).filter(n -> n.matches("V\\d+__.*\\.sql"))
          .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).toList();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private TestDatabase db;

  @BeforeEach
  void create() {
    db = TestDatabase.create();
  }

  @AfterEach
  void drop() {
    db.close();
  }

  @Test
  void migrates_an_empty_database_and_a_second_start_is_a_no_op() {
    Migrations.Result first = db.migrations().migrate();
    assertEquals(new Migrations.Result(NEWEST, COUNT), first);
    assertEquals(8, db.queryLong("""
        select count(*) from information_schema.tables where table_schema = 'public' and table_name in
        ('tenants', 'services', 'routes', 'consumers', 'credentials', 'plugins', 'config_version', 'change_log')
        """));
    assertEquals(8 * 3, db.queryLong("""
        select count(distinct tgname) from pg_trigger
         where not tgisinternal and tgname ~ '_(stamp|change|no_truncate)$'
        """), "every configuration table has its stamp, change and truncate triggers");
    assertEquals(8 * 6, db.queryLong("""
        select count(*) from pg_trigger
         where not tgisinternal and tgname ~ '_(change|history)(_update|_delete)?$' and tgtype & 1 = 0
        """), "every configuration table (snis and certificates too) writes the change log and the history,"
        + " once per statement, for inserts, updates and deletes");
    assertEquals(0, db.configVersion());
    assertEquals("default", db.queryString("select name from tenants"));

    Migrations.Result second = db.migrations().migrate();
    assertEquals(new Migrations.Result(NEWEST, 0), second, "nothing applied the second time");
    assertEquals(first.applied(), db.queryLong("select count(*) from flyway_schema_history where success"));
  }

  @Test
  void refuses_a_database_whose_schema_is_newer_than_it_knows() {
    long applied = db.migrations().migrate().applied();
    db.transaction("""
        insert into flyway_schema_history (installed_rank, version, description, type, script, checksum,
                                           installed_by, execution_time, success)
        values (100, '999', 'from a newer sluice', 'SQL', 'V999__from_a_newer_sluice.sql', 0, 'test', 0, true)
        """);
    SchemaTooNewException e = assertThrows(SchemaTooNewException.class, () -> db.migrations().migrate());
    assertTrue(e.databaseVersion().startsWith("999"), e.databaseVersion());
    assertEquals(NEWEST, e.knownVersion());
    assertTrue(e.getMessage().contains("schema version 999") && e.getMessage().contains("knows (" + NEWEST + ")"),
        e.getMessage());
    assertEquals(applied + 1, db.queryLong("select count(*) from flyway_schema_history"), "nothing was touched");
  }

  @Test
  void a_database_holding_tenant_names_that_collide_by_case_or_form_migrates_and_keeps_them() {
    org.flywaydb.core.Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(Migrations.jdbcUrl(db.connectOptions()), TestDatabase.USER, TestDatabase.PASSWORD)
        .locations(Migrations.LOCATION).target("20").load().migrate();
    db.transaction("insert into tenants (name) values ('beta')", "insert into tenants (name) values ('Beta')",
        "insert into tenants (name) values ('beta ')", "insert into tenants (name) values ('ｇａｍｍａ')");

    assertEquals(new Migrations.Result(NEWEST, (int) FILES.stream().filter(v -> v > 20).count()), db.migrations().migrate());
    assertEquals(5, db.queryLong("select count(*) from tenants"), "no tenant renamed or removed");
    assertEquals(1, db.queryLong("select count(*) from tenants where name = 'Beta'"));
    for (String refused : new String[] {"BETA", "beta", "gamma ", "ｄｅｌｔａ", "Default"}) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> db.transaction("insert into tenants (name) values ('" + refused + "')"), refused);
      assertTrue(e.getMessage().startsWith("23505") || e.getMessage().startsWith("23514"), e.getMessage());
    }
    db.transaction("insert into tenants (name) values ('delta')");
    assertThrows(IllegalStateException.class, () -> db.transaction("update tenants set name = 'DELTA' where name = 'Beta'"),
        "a tenant left out of the index is checked when renamed");
    db.transaction("update tenants set name = 'epsilon' where name = 'Beta'");
  }

  @Test
  void a_database_holding_jwt_credentials_a_file_refuses_migrates_and_keeps_them() {
    org.flywaydb.core.Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(Migrations.jdbcUrl(db.connectOptions()), TestDatabase.USER, TestDatabase.PASSWORD)
        .locations(Migrations.LOCATION).target("22").load().migrate();
    db.transaction("insert into consumers (tenant_id, username) select id, 'alice' from tenants",
        "insert into credentials (consumer_id, kind, jwt_issuer, jwt_algorithm, jwt_public_key)"
            + " select id, 'jwt', 'https://ed.example', 'EdDSA', '-----BEGIN PUBLIC KEY-----' from consumers");

    assertEquals(NEWEST, db.migrations().migrate().schemaVersion());
    assertEquals(1, db.queryLong("select count(*) from credentials where jwt_algorithm = 'EdDSA'"), "kept");
    assertEquals("f", db.queryString("select convalidated::text from pg_constraint"
        + " where conname = 'credentials_jwt_algorithm_not_accepted'").substring(0, 1), "left NOT VALID");
    assertEquals("t", db.queryString("select convalidated::text from pg_constraint"
        + " where conname = 'credentials_jwt_public_key_not_pem'").substring(0, 1), "no row breaks it: validated");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> db.transaction(
        "update credentials set jwt_issuer = 'https://ed2.example'"));
    assertTrue(e.getMessage().contains("credentials.jwt_algorithm"), "an update of such a row must fix it: "
        + e.getMessage());
  }

  @Test
  void knows_its_newest_migration_without_a_database_schema() {
    assertEquals(NEWEST, db.migrations().latestKnown());
  }
}

package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Ports;
import io.sluice.testing.TestDatabase;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which PostgreSQL pg.url resolves to: auto falls back to an embedded server only when nothing answers at its
 * local address, embedded always starts one (its data kept under node.data_dir), a URL is used as is. "The
 * machine's PostgreSQL" of auto is given here: the test server, or a port where nothing listens.
 */
class DatabaseTest {

  @TempDir
  Path dataDir;

  /** A port where nothing listens: none of this JVM's nodes was given it. */
  private static int closedPort() {
    return Ports.free();
  }

  private static long query(String url, String sql) throws SQLException {
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/"
        + o.getDatabase(), o.getUser(), o.getPassword());
         Statement st = c.createStatement()) {
      if (!st.execute(sql)) {
        return -1;
      }
      try (ResultSet r = st.getResultSet()) {
        r.next();
        return r.getLong(1);
      }
    }
  }

  @Test
  void auto_starts_an_embedded_postgresql_under_the_data_dir_when_nothing_answers() throws Exception {
    String nobody = "postgresql://postgres@127.0.0.1:" + closedPort() + "/sluice";
    String url;
    try (Database db = Database.open("auto", dataDir, nobody)) {
      assertTrue(db.embedded());
      url = db.url();
      assertEquals("sluice", PgConnectOptions.fromUri(url).getDatabase());
      assertEquals(1, query(url, "select 1"));
      assertTrue(Files.exists(dataDir.resolve("postgres").resolve("PG_VERSION")), "data in data_dir/postgres");
      assertTrue(Files.exists(dataDir.resolve("postgres.log")), "the server log beside it");
    }
    assertThrows(SQLException.class, () -> query(url, "select 1"), "closing stops the embedded server");
  }

  /** Found from outside: an unreadable pg.url ended the start with exit 1 and the URL, password included, logged. */
  @Test
  void a_pg_url_the_client_cannot_read_is_a_setting_refused_without_its_value() {
    for (String url : new String[] {"postgresql://sluice:S3cretPW@db.example:notaport/x",
        "postgresql://sluice:S3cretPW@127.0.0.1:5999/x?sslmode=bogus"}) {
      io.sluice.settings.SettingsException e = org.junit.jupiter.api.Assertions.assertThrows(
          io.sluice.settings.SettingsException.class, () -> Database.checkUrl(url));
      assertTrue(e.problems().get(0).startsWith("pg.url: is not a PostgreSQL URL"), e.problems().toString());
      assertTrue(!e.getMessage().contains("S3cretPW"), "never the password: " + e.getMessage());
    }
    Database.checkUrl("postgresql://sluice:pw@db.example:5432/sluice?sslmode=require");
    Database.checkUrl("auto");
  }

  @Test
  void embedded_keeps_its_data_across_restarts() throws Exception {
    try (Database db = Database.open("embedded", dataDir, "postgresql://unused/x")) {
      assertTrue(db.embedded());
      query(db.url(), "create table kept (n int)");
      query(db.url(), "insert into kept values (42)");
    }
    try (Database db = Database.open("embedded", dataDir, "postgresql://unused/x")) {
      assertEquals(42, query(db.url(), "select n from kept"));
    }
  }

  @Test
  void refuses_a_second_embedded_server_on_the_same_data_dir() {
    try (Database first = Database.open("embedded", dataDir, "postgresql://unused/x")) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Database.open("embedded", dataDir, "postgresql://unused/x"));
      assertTrue(e.getMessage().contains("give each node its own node.data_dir"), e.getMessage());
      assertTrue(first.embedded());
    }
  }

  @Test
  void auto_uses_the_machine_server_when_it_answers_and_creates_the_database() throws Exception {
    try (TestDatabase local = TestDatabase.unused(); Database db = Database.open("auto", dataDir, local.url())) {
      assertFalse(db.embedded());
      assertEquals(local.url(), db.url());
      assertEquals(1, local.queryLong("select 1"), "the database was created");
      assertFalse(Files.exists(dataDir.resolve("postgres")), "no embedded server was started");
    }
  }

  @Test
  void a_configured_url_is_used_as_is_even_when_nothing_answers_there() throws Exception {
    String url = "postgresql://postgres@127.0.0.1:" + closedPort() + "/sluice";
    try (Database db = Database.open(url, dataDir, "postgresql://unused/x")) {
      assertFalse(db.embedded());
      assertEquals(url, db.url());
    }
    assertFalse(Files.exists(dataDir.resolve("postgres")), "never an embedded server for a URL");
  }

  @Test
  void auto_fails_when_the_machine_server_answers_but_refuses() {
    String wrongUser = "postgresql://no_such_role_here@" + TestDatabase.HOST + ":" + TestDatabase.PORT + "/sluice";
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Database.open("auto", dataDir, wrongUser));
    assertTrue(e.getMessage().contains("answered but"), e.getMessage());
    assertFalse(Files.exists(dataDir.resolve("postgres")), "a server that refuses is not replaced by an embedded one");
  }
}

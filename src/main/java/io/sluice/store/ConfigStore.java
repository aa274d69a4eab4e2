package io.sluice.store;

import io.sluice.config.GatewayConfig;
import io.sluice.util.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PreparedStatement;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowStream;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Function;

/**
 * The configuration as PostgreSQL holds it, read and seeded through the reactive client: every method
 * returns a Future and none blocks an event loop (turning rows into a validated {@link GatewayConfig}
 * runs on a worker, since a large configuration takes a while to validate).
 *
 * <p>Versions are dense and committed in order (see V1__config_schema.sql); {@link ChangeReader} reads what
 * was committed after a version.
 */
public final class ConfigStore {

  public static final String VERSION = "select version from config_version where id = 1";
  /** Who a seed is recorded as (change_log.actor, config_history): the routes file, applied by a node. */
  static final String SEED_ACTOR = "{\"kind\": \"seed\", \"source\": \"apply\"}";


  /** Whole-transaction attempts of a /config apply that collides with another writer (40001, 40P01). */
  private static final int APPLY_ATTEMPTS = 4;
  /** Full-jitter delay between those attempts, so that colliding writers do not collide again at once. */
  private static final Backoff APPLY_BACKOFF = new Backoff(20, 500);
  /** Consumers an export reads from its cursor at a time. */
  static final int EXPORT_FETCH = 200;
  /** Invalid consumers an export refused for names at most: enough to fix a batch, a bounded answer. */
  static final int REFUSED_NAMED = 100;

  private final Vertx vertx;
  private final Pool pool;

  public ConfigStore(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** The configuration history: every version's changes, who made them and when (GET /config/history). */
  public HistoryStore history() {
    return new HistoryStore(pool);
  }

  /** The global configuration version last committed (0 for a database never written). */
  public Future<Long> currentVersion() {
    return pool.query(VERSION).execute().map(ConfigStore::single);
  }

  /**
   * Services and routes with the version they are the state of, read in one REPEATABLE READ read-only
   * transaction. Rows written with psql that leave out settings get the declarative schema's defaults; a
   * row that breaks the declarative rules fails the future with the config package's
   * {@code ConfigException}, so a node keeps what it has rather than apply half a configuration.
   */
  public Future<Snapshot> loadSnapshot() {
    return pool.withTransaction(conn -> conn.query("set transaction isolation level repeatable read, read only")
            .execute()
            .compose(v -> conn.query(VERSION).execute())
            .compose(version -> texts(conn, SnapshotSql.SERVICES)
                .compose(services -> texts(conn, SnapshotSql.ROUTES)
                    .compose(routes -> texts(conn, SnapshotSql.PLUGINS)
                        .compose(plugins -> texts(conn, SnapshotSql.ROUTING_FILE_PLUGINS)
                            .map(file -> new SnapshotDocument(single(version), services, routes, plugins, file)))))))
        .compose(doc -> vertx.executeBlocking(doc::toSnapshot, false));
  }


  /**
   * The whole declarative file (services, routes, consumers with their credentials' references, plugins of every
   * scope, certificates) with the version it is the state of, as {@code GET /config} exports it; of one tenant (by
   * id, under its name now) when {@code tenant} is not null (its services, routes and consumers; no plugins, no certificates). As it
   * was at {@code version} when that is not null, rebuilt from the history as {@link #loadSnapshotAt} does. Read
   * in one REPEATABLE READ read-only transaction, the consumers streamed rather than loaded: {@code begin} is
   * given the file without them (their key present, the list empty) and answers where they go, and they are read
   * from a cursor in pages of {@link #EXPORT_FETCH}, in the file's order. Memory does not grow with the number
   * of consumers (an export of a million holds a page of them), and a slow sink holds the cursor back. Fails as
   * {@link #loadSnapshotAt} does, or when the sink does.
   */
  public Future<Void> exportFile(UUID tenant, Long version, Function<Snapshot, Future<ConsumerSink>> begin) {
    Function<String, String> at = version == null ? sql -> sql : sql -> ConfigAt.of(version, sql);
    String credentials = version == null ? ConsumerFile.CURRENT : "credentials";
    return pool.withTransaction(conn -> conn.query("set transaction isolation level repeatable read, read only")
        .execute()
        .compose(v -> version == null ? conn.query(VERSION).execute().map(ConfigStore::single)
            : kept(conn, version))
        .compose(v -> file(conn, v, tenant, at, credentials,
            version == null ? CertificateFile.CURRENT : "certificates", false))
        .compose(doc -> refusedConsumers(conn, at, credentials, tenant)
            .compose(refused -> vertx.executeBlocking(() -> doc.toExport(refused), false)))
        .compose(begin)
        .compose(sink -> conn.prepare(at.apply(ConsumerFile.of(credentials, tenant != null)))
            .compose(statement -> streamConsumers(statement, tenant == null ? Tuple.tuple() : Tuple.of(tenant),
                sink))));
  }

  /**
   * The consumers (through {@code at}, of {@code tenant} when not null) that break the rule of a file's strings,
   * by their place in the file, at most {@link #REFUSED_NAMED} of them: found by PostgreSQL before the export's
   * answer starts (its consumers are streamed after its 200 went out), without loading the others.
   */
  private static Future<Map<Long, String>> refusedConsumers(SqlConnection conn, Function<String, String> at,
                                                            String credentials, UUID tenant) {
    String find = at.apply(ConsumerFile.refused(credentials, tenant != null, REFUSED_NAMED));
    return (tenant == null ? conn.query(find).execute() : conn.preparedQuery(find).execute(Tuple.of(tenant)))
        .compose(found -> {
          if (found.size() == 0) {
            return Future.succeededFuture(Map.<Long, String>of());
          }
          List<UUID> ids = new ArrayList<>();
          found.forEach(r -> ids.add(r.getUUID(0)));
          UUID[] idArray = ids.toArray(new UUID[0]);
          return conn.preparedQuery(at.apply(ConsumerFile.placed(credentials, tenant != null)))
              .execute((tenant == null ? Tuple.tuple() : Tuple.of(tenant)).addArrayOfUUID(idArray))
              .map(rows -> {
                Map<Long, String> out = new LinkedHashMap<>();
                rows.forEach(r -> out.put(r.getLong(0), r.getString(1)));
                return out;
              });
        });
  }

  /** Consumers read from a cursor into {@code sink}, a page at a time; completes once the sink ended the file. */
  private static Future<Void> streamConsumers(PreparedStatement statement, Tuple args, ConsumerSink sink) {
    Promise<Void> done = Promise.promise();
    RowStream<Row> rows = statement.createStream(EXPORT_FETCH, args);
    rows.exceptionHandler(done::tryFail);
    rows.handler(row -> {
      if (done.future().isComplete()) {
        return;
      }
      try {
        if (!sink.accept(SnapshotDocument.consumer(row.getString(0)))) {
          rows.pause();
          sink.whenReady(rows::resume);
        }
      } catch (RuntimeException | IOException e) {
        done.tryFail(e);
        rows.close();
      }
    });
    rows.endHandler(v -> sink.end().onComplete(done));
    return done.future();
  }

  /**
   * The file's rows at {@code version} (through {@code at}, which rewrites a query to read the tables as they
   * were then; {@code credentials} and {@code certificates} the tables with their secrets' reference columns), of
   * one tenant (its id) when not null (then without plugins nor certificates); without {@code withConsumers}, an empty list
   * of them (they are streamed, or not needed).
   */
  private static Future<SnapshotDocument> file(SqlConnection conn, long version, UUID tenant,
                                               Function<String, String> at, String credentials,
                                               String certificates, boolean withConsumers) {
    boolean one = tenant != null;
    return texts(conn, at.apply(one ? SnapshotSql.SERVICES_OF_TENANT : SnapshotSql.SERVICES), tenant)
        .compose(services -> texts(conn, at.apply(one ? SnapshotSql.ROUTES_OF_TENANT : SnapshotSql.ROUTES),
                tenant)
            .compose(routes -> (withConsumers ? texts(conn, at.apply(ConsumerFile.of(credentials, one)), tenant)
                : Future.succeededFuture(List.<String>of()))
                .compose(consumers -> (one ? Future.succeededFuture(List.<String>of())
                    : texts(conn, at.apply(SnapshotSql.FILE_PLUGINS)))
                    .compose(plugins -> (one ? Future.succeededFuture((List<String>) null)
                        : texts(conn, at.apply(CertificateFile.of(certificates))))
                        .compose(certs -> (one ? Future.succeededFuture((List<String>) null)
                            : texts(conn, at.apply(TenantSql.FILE)))
                            .map(tenants -> new SnapshotDocument(version, services, routes, List.of(), plugins,
                                consumers, certs, tenants)))))));
  }

  /**
   * Writes a declarative configuration (tenants named by services, services, routes, in file order) into a
   * database that holds no services and no routes yet, in one transaction: the seed of a fresh
   * installation from conf/routes.yaml. Answers the version committed, or empty when the database already
   * held configuration and nothing was written (so that nodes starting together seed it once).
   */
  public Future<OptionalLong> importConfig(GatewayConfig config) {
    return pool.withTransaction(conn -> EntityStore.actor(conn, SEED_ACTOR)
        .compose(v -> ConfigImport.intoEmpty(conn, config)));
  }

  /**
   * The services and routes (and tenants they name) as they were at {@code version}, rebuilt from the
   * configuration history ({@link ConfigAt}) in one REPEATABLE READ read-only transaction; of one tenant (by id,
   * whatever it was named then) when {@code tenant} is not null. Fails with {@link VersionUnavailableException} for a version not written yet
   * or one whose later history is no longer complete, with {@link StoredConfigInvalidException} naming the rows of
   * that version a file refuses (written with psql) but consumers, which it holds ({@link HeldConsumers}).
   */
  public Future<EarlierConfig> loadConfigAt(long version, UUID tenant) {
    return pool.withTransaction(conn -> conn.query("set transaction isolation level repeatable read, read only")
            .execute()
            .compose(v -> kept(conn, version))
            .compose(v -> withinBudget(conn, sql -> ConfigAt.of(version, sql), tenant,
                "the configuration at version " + version))
            .compose(v -> file(conn, version, tenant, sql -> ConfigAt.of(version, sql), "credentials",
                "certificates", true)))
        .compose(doc -> vertx.executeBlocking(() -> doc.toStored(version), false));
  }

  /**
   * Consumers a diff may hold in memory: one per 8 KiB of heap (a consumer with a key takes 1 to 3 KiB in a diff,
   * as read, as parsed and as compared; a rollback holds two sets), so 12,000 on a 96 MiB heap, 130,000 on 1 GiB.
   */
  static long consumerBudget() {
    return Runtime.getRuntime().maxMemory() / (8 * 1024);
  }

  /**
   * Fails with {@link TooManyConsumersException} when the consumers (read through {@code at}, of {@code tenant}
   * when not null) are more than {@link #consumerBudget}: counted, not loaded.
   */
  private static Future<Void> withinBudget(SqlConnection conn, Function<String, String> at, UUID tenant,
                                           String what) {
    String count = at.apply("select count(*) from consumers x" + (tenant == null ? "" : " where x.tenant_id = $1"));
    return (tenant == null ? conn.query(count).execute() : conn.preparedQuery(count).execute(Tuple.of(tenant)))
        .map(rows -> {
          long n = single(rows);
          long budget = consumerBudget();
          if (n > budget) {
            throw new TooManyConsumersException(what, n, budget);
          }
          return null;
        });
  }

  /**
   * {@code version}, when the history still holds every version after it; fails with
   * {@link VersionUnavailableException} otherwise (or for a version not written yet).
   */
  private static Future<Long> kept(SqlConnection conn, long version) {
    return conn.preparedQuery(ConfigAt.KEPT).execute(Tuple.of(version)).map(kept -> {
      long current = kept.iterator().next().getLong(0);
      long complete = kept.iterator().next().getLong(1);
      if (version > current) {
        throw new VersionUnavailableException("configuration version " + version
            + " is not written yet (the current one is " + current + ")", true);
      }
      if (complete < current - version) {
        throw new VersionUnavailableException("the history after configuration version " + version
            + " is no longer complete (pruned past sync.history_retention_hours, or older than the"
            + " history itself): it cannot be rebuilt", false);
      }
      return version;
    });
  }

  /**
   * Applies a whole declarative configuration as a diff against the stored one, by name, in one READ
   * COMMITTED transaction that first locks the version counter (so configuration writers queue and the diff
   * is computed on what it is applied to). With {@code dryRun} the same diff is computed and written, its deferred
   * checks made, and the transaction rolled back: the same answer as the apply, nothing kept (the version answered
   * is the current one; keys the file asks to generate are not answered, since none is kept).
   * A serialization failure or deadlock (a psql writer holding a row we update) retries the whole
   * transaction; a refusal of the database fails the future with a {@link FileRefusalException} naming the file's
   * field when it says which entity it is about, with the PgException otherwise (nothing written).
   */
  public Future<ConfigDiff.Result> applyConfig(GatewayConfig wanted, boolean dryRun) {
    return applyConfig(wanted, dryRun, null, null, null);
  }

  /**
   * {@link #applyConfig(GatewayConfig, boolean)} by {@code actor} (change_log.actor, JSON; null: none) and,
   * when {@code tenant} (an id) is not null, for that tenant only: the file is diffed against that tenant's services,
   * routes and consumers alone, so it can create, change and delete only those (the caller checks that every
   * entity of the file is that tenant's; a name another tenant holds fails the transaction, nothing applied).
   * API keys the file asks to generate, and HS secrets it gives, are digested and sealed with
   * {@code hmacSecret} (keys.hmac_secret). A file naming a secret that no longer exists fails with
   * {@link MissingSecretException}, nothing written.
   */
  public Future<ConfigDiff.Result> applyConfig(GatewayConfig wanted, boolean dryRun, UUID tenant, String actor,
                                               String hmacSecret) {
    return applyConfig(wanted, HeldConsumers.NONE, dryRun, tenant, actor, hmacSecret, 1);
  }

  /** Applies {@code at} as {@link #applyConfig} does, and fails if that would write back a consumer it holds. */
  public Future<ConfigDiff.Result> rollback(EarlierConfig at, boolean dryRun, String actor, String hmacSecret) {
    return applyConfig(at.config(), at.held(), dryRun, null, actor, hmacSecret, 1);
  }

  private Future<ConfigDiff.Result> applyConfig(GatewayConfig wanted, HeldConsumers held, boolean dryRun,
                                                UUID tenant, String actor, String hmacSecret, int attempt) {
    return inTransaction(!dryRun, conn -> EntityStore.actor(conn, actor)
            .compose(a -> tenant == null ? texts(conn, "select name from tenants")
                : texts(conn, "select name from tenants where id = $1", tenant))
            .compose(tenants -> diffAgainstStored(conn, wanted, tenant, tenants)
                .compose(diff -> (tenant == null ? Future.<Void>succeededFuture()
                    : RouteTakeovers.refuse(conn, ownName(tenants), diff.routesWritten(wanted))).map(diff)))
            .compose(diff -> {
              held.refuseWriting(diff.consumersWritten());
              if (!diff.missingSecrets().isEmpty()) {
                throw new MissingSecretException(diff.missingSecrets());
              }
              if (!dryRun) {
                return diff.write(conn, hmacSecret).compose(keys -> conn.query(VERSION).execute()
                    .map(version -> new ConfigDiff.Result(single(version), diff.changes(), true, keys)));
              }
              // A dry run writes too, so that unique names, triggers and the rules checked at commit (fired here)
              // answer as they would; the transaction is rolled back: no row, no change log, no NOTIFY, no version.
              return conn.query(VERSION).execute().compose(current -> diff.write(conn, hmacSecret)
                  .compose(keys -> conn.query("set constraints all immediate").execute())
                  .map(v -> new ConfigDiff.Result(single(current), diff.changes(), false, List.of())));
            }))
        .recover(err -> {
          FileRefusalException refused = FileRefusalException.of(err, wanted);
          if (refused != null) {
            return Future.failedFuture(refused);
          }
          boolean retry = SqlStates.is(err, SqlStates.SERIALIZATION_FAILURE)
              || SqlStates.is(err, SqlStates.DEADLOCK_DETECTED);
          if (!retry || attempt >= APPLY_ATTEMPTS) {
            return Future.failedFuture(err);
          }
          return vertx.timer(Math.max(1, APPLY_BACKOFF.delayMs(attempt)))
              .compose(v -> applyConfig(wanted, held, dryRun, tenant, actor, hmacSecret, attempt + 1));
        });
  }

  /**
   * Reads the stored configuration (locking the version counter) and diffs it; {@code tenants}
   * the names that exist (of {@code tenant} alone when not null).
   */
  private Future<ConfigDiff> diffAgainstStored(SqlConnection conn, GatewayConfig wanted, UUID tenant,
                                               List<String> tenants) {
    // Locked by a dry run too, since it writes: configuration writers queue, and deadlock with none.
    return conn.query(VERSION + " for update").execute()
        // A file without a consumers key leaves them alone: the stored ones (maybe millions) are not read.
        .compose(version -> (wanted.hasConsumers() ? withinBudget(conn, sql -> sql, tenant, "the stored"
                + " configuration") : Future.succeededFuture())
            .compose(v -> file(conn, single(version), tenant, sql -> sql, ConsumerFile.CURRENT,
                CertificateFile.CURRENT, wanted.hasConsumers())))
        .compose(doc -> vertx.executeBlocking(() -> doc.diffTo(wanted, new HashSet<>(tenants)), false));
  }

  /** The name of a tenant token's tenant, read by its id; it was deleted since the token was checked when none. */
  private static String ownName(List<String> tenants) {
    if (tenants.isEmpty()) {
      throw new IllegalStateException("the token's tenant was deleted while the file was applied");
    }
    return tenants.get(0);
  }

  /** Runs {@code work} in a transaction that is committed, or rolled back when {@code commit} is false. */
  private <T> Future<T> inTransaction(boolean commit, Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> conn.begin().compose(tx -> work.apply(conn).transform(ar -> {
      if (ar.failed()) {
        return tx.rollback().transform(ignored -> Future.<T>failedFuture(ar.cause()));
      }
      return (commit ? tx.commit() : tx.rollback()).map(ar.result());
    })));
  }

  /** {@link #texts(SqlConnection, String)} of a query with one parameter (none when {@code param} is null). */
  private static Future<List<String>> texts(SqlConnection conn, String sql, Object param) {
    if (param == null) {
      return texts(conn, sql);
    }
    return conn.preparedQuery(sql).execute(io.vertx.sqlclient.Tuple.of(param)).map(rows -> {
      List<String> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        out.add(r.getString(0));
      }
      return out;
    });
  }

  private static Future<List<String>> texts(SqlConnection conn, String sql) {
    return conn.query(sql).execute().map(rows -> {
      List<String> out = new ArrayList<>(rows.size());
      for (Row r : rows) {
        out.add(r.getString(0));
      }
      return out;
    });
  }

  public static long single(RowSet<Row> rows) {
    return rows.iterator().next().getLong(0);
  }
}

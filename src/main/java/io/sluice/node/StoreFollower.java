package io.sluice.node;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.cluster.Clustering;
import io.sluice.cluster.Membership;
import io.sluice.config.ConfigException;
import io.sluice.config.GatewayConfig;
import io.sluice.credential.CachedConsumerDirectory;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.metrics.SyncMeters;
import io.sluice.settings.NodeSettings;
import io.sluice.store.ChangeReader;
import io.sluice.store.ConfigStore;
import io.sluice.store.LeaderSession;
import io.sluice.store.Migrations;
import io.sluice.sync.ClusterMaps;
import io.sluice.sync.ClusterStatus;
import io.sluice.sync.ConfigApplier;
import io.sluice.sync.DatabaseIdentity;
import io.sluice.sync.LocalSnapshot;
import io.sluice.sync.SyncLeader;
import io.sluice.tls.CertificateSet;
import io.sluice.tls.KeySealer;
import io.sluice.tls.LiveCertificates;
import io.sluice.util.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's side of configuration in PostgreSQL (pg.url set): migrate the schema, seed an empty database from
 * the routes file, load the configuration, then follow every change (the sync leader's session, the applier,
 * the cached consumer directory). Started on the caller's thread (the launcher's or a test's), never an event
 * loop: Flyway is JDBC. When PostgreSQL does not answer, the node serves its local snapshot (the last
 * configuration it applied) and does the rest in the background once the database answers; without a
 * usable snapshot it does not start.
 */
final class StoreFollower {

  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);
  /** Connecting to PostgreSQL on a healthy network takes milliseconds; past this the store is down. */
  private static final int PG_CONNECT_TIMEOUT_MS = 2_000;
  /** Longest an admin request waits for a pooled connection before it answers 503. */
  private static final int PG_POOL_WAIT_MS = 2_000;
  /**
   * Longest a starting node waits for its pool's first connection. Each wait for a pooled connection ends after
   * PG_POOL_WAIT_MS (admin requests fail fast), but the first one of a cold JVM on a loaded machine has taken longer
   * (the client's classes load, the handshake runs interpreted): it is waited for again, up to this.
   */
  private static final long FIRST_CONNECTION_TIMEOUT_MS = 30_000;
  /** The message of the SQL client's failure when a wait for a pooled connection reached its bound. */
  private static final String POOL_WAIT_ENDED = "Timeout";
  /** Longest a starting node waits for its first configuration from the cluster (or the leader's first fill). */
  private static final long FIRST_CONFIG_TIMEOUT_S = 60;

  private final NodeSettings settings;
  private final Vertx vertx;
  private Pool pool;
  private ConfigStore store;
  private ConfigApplier applier;
  private LeaderSession session;
  private SyncLeader leader;
  private SyncMeters syncMeters;
  private ClusterStatus clusterStatus;
  private CachedConsumerDirectory consumers;
  private volatile boolean stopping;

  private StoreFollower(NodeSettings settings, Vertx vertx) {
    this.settings = settings;
    this.vertx = vertx;
  }

  /**
   * Follows {@code database}; returns once the first configuration is applied (or fails, with
   * what it opened closed). {@code consumersReady} is handed the consumer directory as soon as it exists.
   */
  static StoreFollower start(NodeSettings settings, Membership membership, MeterRegistry registry, Database database,
                             SluiceNode.ConsumerSource source, GatewayConfig seed, ConfigApplier.Apply build,
                             LiveCertificates certificates, Consumer<ConsumerDirectory> consumersReady) {
    StoreFollower f = new StoreFollower(settings, membership.vertx());
    try {
      f.follow(membership, registry, PgConnectOptions.fromUri(database.url()), database.identity(), source, seed,
          build, certificates, consumersReady);
      return f;
    } catch (RuntimeException e) {
      f.close();
      throw e;
    }
  }

  private void follow(Membership membership, MeterRegistry registry, PgConnectOptions options,
                      DatabaseIdentity database, SluiceNode.ConsumerSource source, GatewayConfig seed,
                      ConfigApplier.Apply build, LiveCertificates certificates,
                      Consumer<ConsumerDirectory> consumersReady) {
    LocalSnapshot snapshot = new LocalSnapshot(snapshotFile(settings, database), database);
    LocalSnapshot.State fallback = null;
    try {
      migrate(options);
    } catch (RuntimeException e) {
      if (!Migrations.unreachable(e)) {
        throw e;
      }
      try {
        fallback = snapshot.read();
      } catch (LocalSnapshot.Unusable none) {
        throw new IllegalStateException("PostgreSQL at " + options.getHost() + ":" + options.getPort()
            + " does not answer (" + Migrations.why(e) + ") and there is no local snapshot to serve: "
            + none.getMessage() + earlier(settings), e);
      }
      LOG.warn("PostgreSQL at {}:{} does not answer ({}): serving the local snapshot {} of version {} written at {}"
              + " by database {} (DEGRADED and stale until the database answers)", options.getHost(),
          options.getPort(), Migrations.why(e), snapshot.file(), fallback.version(),
          Instant.ofEpochMilli(fallback.writtenAtMillis()), fallback.database());
    }
    // Admin writes must fail fast while PostgreSQL is down: a short connect timeout, and a short wait for a
    // pooled connection, instead of the client's defaults (which let a request hang for a long time).
    pool = PgBuilder.pool().with(new NetClientOptions().setConnectTimeout(PG_CONNECT_TIMEOUT_MS))
        .with(new PoolOptions().setMaxSize(settings.pg().poolSize())
            .setConnectionTimeout(PG_POOL_WAIT_MS).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        // Named, like the sync leader's session, so that the SQL client meters of the two are told apart.
        .connectingTo(new PgConnectOptions(options).setMetricsName("config-store")
            .setCachePreparedStatements(settings.pg().preparedStatements()).setPreparedStatementCacheSqlLimit(8192)).using(vertx).build();
    store = new ConfigStore(vertx, pool);
    if (fallback == null) {
      firstConnection(options);
      identify(snapshot, null);
      seed(seed);
    }
    long reconcileMs = settings.sync().reconcileIntervalMs();
    syncMeters = new SyncMeters(registry);
    ClusterMaps maps = step("opening the cluster's configuration maps", ClusterMaps.open(vertx));
    AsyncMap<String, String> sharedConsumers = membership.clustered() ? step("opening the cluster's consumer map",
        vertx.sharedData().<String, String>getAsyncMap(Clustering.CONSUMER_MAP)) : null;
    NodeSettings.Consumers c = settings.consumers();
    consumers = new CachedConsumerDirectory(source.create(pool, settings), sharedConsumers, c.cacheSize(),
        c.cacheTtlS() * 1000L, c.negativeTtlS() * 1000L, registry);
    consumersReady.accept(consumers);
    clusterStatus = new ClusterStatus(vertx, membership, maps, settings.nodeName());
    step("reading the cluster's node versions", clusterStatus.start());
    // ?wait=true and /cluster/sync trust no node above PostgreSQL's version (a database restored from a backup).
    clusterStatus.confirmWith(store::currentVersion);
    leader = new SyncLeader(vertx, new ChangeReader(pool), maps, sharedConsumers, syncMeters, membership.nodeId(),
        reconcileMs, settings.sync().changeLogRetentionHours() * 3600L);
    leader.pruneHistory(store.history(), settings.sync().historyRetentionHours() * 3600L);
    membership.onMerged(leader::rewriteWhole);
    applier = new ConfigApplier(vertx, maps, clusterStatus, syncMeters, consumers, build, reconcileMs, snapshot);
    membership.onMerged(applier::merged);
    MapLossWatch.install(membership, vertx, applier, leader);
    NodeSettings.Keys keys = settings.keys();
    KeySealer sealer = new KeySealer(KeySealer.secretOf(keys.encryptionSecret(), keys.hmacSecret()));
    applier.onTls(entities -> {
      CertificateSet set = CertificateSet.build(entities, sealer);
      set.problems().forEach(LOG::warn);
      certificates.swap(set);
    });
    long lockKey = LeaderSession.lockKey(membership.clustered(), settings.cluster().name(), membership.nodeId());
    session = new LeaderSession(vertx, options, LeaderSession.Timing.DEFAULT, lockKey, leader,
        syncMeters::storeReached);
    // A node whose cluster does not deliver what PostgreSQL holds (a split cluster) reads it around the cluster.
    applier.readAroundCluster(new ChangeReader(pool), leader::leading);
    session.onVersionSeen(applier::storeVersion);
    Future<Void> first;
    if (fallback == null) {
      first = applier.start();
      session.start();
    } else {
      first = applier.startFrom(fallback);
      LocalSnapshot.State served = fallback;
      Thread later = new Thread(() -> migrateWhenReachable(options, seed, snapshot, served), "sluice-store-wait");
      later.setDaemon(true);
      later.start();
    }
    try {
      first.toCompletionStage().toCompletableFuture().get(FIRST_CONFIG_TIMEOUT_S, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("no configuration from the cluster or PostgreSQL within "
          + FIRST_CONFIG_TIMEOUT_S + " s: " + e, e);
    }
  }

  /**
   * {@code node.data_dir}/config-{node name}-{hash of the database's host, port and name}.json: one file per node
   * and database, so that nodes sharing a directory and a name (the defaults: /tmp/sluice, the host name) but
   * following different databases never overwrite each other's snapshot. A read also weighs the node's files of
   * other addresses of the same database (localhost and 127.0.0.1): {@link LocalSnapshot#read}.
   */
  static Path snapshotFile(NodeSettings settings, DatabaseIdentity database) {
    return LocalSnapshot.file(Path.of(settings.node().dataDir()), "config-" + safeName(settings), database);
  }

  /** The file name snapshots had before they named their database: such a file is never served. */
  private static Path earlierSnapshotFile(NodeSettings settings) {
    return Path.of(settings.node().dataDir()).resolve("config-" + safeName(settings) + ".json");
  }

  private static String safeName(NodeSettings settings) {
    return settings.nodeName().replaceAll("[^A-Za-z0-9._-]", "_");
  }

  /** A word on a snapshot at the earlier file name, which is refused: it does not say whose configuration it is. */
  private static String earlier(NodeSettings settings) {
    Path old = earlierSnapshotFile(settings);
    return Files.exists(old) ? "; " + old + " (written by an earlier Sluice) does not name the database it came"
        + " from and is not served" : "";
  }

  /**
   * Reads what the database says of itself (PostgreSQL's system identifier, the database's OID) into the snapshot's
   * identity, so that later snapshots carry it. A node that served a snapshot whose identifiers differ (a database
   * created again, or another server, at the same address) says so. Two small queries; the system identifier needs
   * the right to call pg_control_system() (PUBLIC has it by default): without it, the database's OID alone.
   */
  private void identify(LocalSnapshot snapshot, LocalSnapshot.State served) {
    DatabaseIdentity known = snapshot.database();
    try {
      var row = pool.query("select (select oid from pg_database where datname = current_database()) as oid")
          .execute().await().iterator().next();
      String system = null;
      try {
        system = pool.query("select system_identifier::text as s from pg_control_system()").execute().await()
            .iterator().next().getString("s");
      } catch (RuntimeException noRights) {
        LOG.debug("PostgreSQL's system identifier is not readable: {}", noRights.toString());
      }
      Object oid = row.getValue("oid");
      known = known.learned(system, oid == null ? null : Long.valueOf(oid.toString()));
    } catch (RuntimeException e) {
      LOG.warn("the configuration database's identity was not read ({}): the snapshot names its address only",
          e.toString());
    }
    snapshot.learned(known);
    if (served != null && !known.sameDatabase(served.database())) {
      LOG.warn("the local snapshot served at start was written by database {}, but {} answers now: another"
          + " database at the same address (created again, or another server)", served.database(), known);
    }
  }

  private static void migrate(PgConnectOptions options) {
    Migrations.Result migrated = Migrations.of(options).migrate();
    LOG.info("configuration schema at version {} ({} migration(s) applied)", migrated.schemaVersion(),
        migrated.applied());
  }

  /**
   * Waits for the pool's first connection (right after the migrations), at most FIRST_CONNECTION_TIMEOUT_MS. Only
   * the pool's own wait ending is waited out again: any other failure ends the start at once, named.
   */
  private void firstConnection(PgConnectOptions options) {
    long started = System.nanoTime();
    for (int waits = 1; ; waits++) {
      try {
        pool.getConnection().compose(c -> c.close()).await();
        if (waits > 1) {
          LOG.info("the first connection to PostgreSQL took {} ms (more than the pool's wait of {} ms)",
              (System.nanoTime() - started) / 1_000_000, PG_POOL_WAIT_MS);
        }
        return;
      } catch (RuntimeException e) {
        boolean waitEnded = POOL_WAIT_ENDED.equals(e.getMessage());
        if (!waitEnded || System.nanoTime() - started >= FIRST_CONNECTION_TIMEOUT_MS * 1_000_000) {
          throw new IllegalStateException("opening the first connection of the configuration pool to PostgreSQL at "
              + options.getHost() + ":" + options.getPort() + " (after the migrations): " + (waitEnded
              ? "none within " + FIRST_CONNECTION_TIMEOUT_MS / 1000 + " s (" + waits + " waits of "
                  + PG_POOL_WAIT_MS + " ms for a pooled connection)" : e.getMessage()), e);
        }
      }
    }
  }

  private void seed(GatewayConfig seed) {
    step("seeding an empty configuration database from " + settings.routesFile(), store.importConfig(seed))
        .ifPresent(v -> LOG.info("empty configuration database seeded from {} (version {})", settings.routesFile(), v));
  }

  /**
   * Awaits one step of the start; a failure names the step, so that a bare message from a client (the SQL pool's
   * "Timeout", say) says where the start stopped. A refused routes file stays a ConfigException (exit 2).
   */
  private static <T> T step(String step, Future<T> f) {
    try {
      return f.await();
    } catch (ConfigException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalStateException(step + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
    }
  }

  /**
   * A node started from its snapshot: retries the migration with capped backoff until PostgreSQL answers,
   * then seeds (an empty database) and starts following the change log like any node. Its own thread: JDBC.
   */
  private void migrateWhenReachable(PgConnectOptions options, GatewayConfig seed, LocalSnapshot snapshot,
                                    LocalSnapshot.State served) {
    Backoff backoff = new Backoff(500, 30_000);
    for (int attempt = 0; !stopping; attempt++) {
      try {
        Thread.sleep(backoff.delayMs(attempt));
        migrate(options);
        identify(snapshot, served);
        seed(seed);
        LOG.info("PostgreSQL answers again: following the change log");
        session.start();
        return;
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        if (!Migrations.unreachable(e)) {
          LOG.error("PostgreSQL answers but the node cannot follow it: {}", e.toString());
        }
      }
    }
  }

  Pool pool() {
    return pool;
  }

  ConfigStore store() {
    return store;
  }

  ConfigApplier applier() {
    return applier;
  }

  SyncMeters syncMeters() {
    return syncMeters;
  }

  ClusterStatus clusterStatus() {
    return clusterStatus;
  }

  ConsumerDirectory consumers() {
    return consumers;
  }

  boolean leading() {
    return leader != null && leader.leading();
  }

  /** The node is stopping: no more waiting for the database; the sync session ends (bounded wait). */
  void stop() {
    stopping = true;
    try {
      if (session != null) {
        session.stop().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warn("sync session did not stop: {}", e.toString());
    }
  }

  /** After the node's Vert.x is closed: the sync session's own thread ends. */
  void release() {
    if (session != null) {
      session.release();
    }
  }

  /** A start that failed: what was opened is closed. */
  void close() {
    stopping = true;
    if (session != null) {
      session.stop();
    }
    if (pool != null) {
      pool.close();
    }
  }
}

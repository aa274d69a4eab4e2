package io.sluice.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.admin.AdminContext;
import io.sluice.admin.AdminVerticle;
import io.sluice.bus.RecordCodec;
import io.sluice.cluster.Clustering;
import io.sluice.cluster.Membership;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.Rejection;
import io.sluice.credential.CachedConsumerDirectory;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.health.Health;
import io.sluice.metrics.Meters;
import io.sluice.metrics.SyncMeters;
import io.sluice.policy.PolicyServices;
import io.sluice.proxy.ProxyVerticle;
import io.sluice.route.LiveRoutes;
import io.sluice.route.RouteBuilder;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.sluice.store.ChangeReader;
import io.sluice.store.ConfigStore;
import io.sluice.store.EntityStore;
import io.sluice.store.LeaderSession;
import io.sluice.store.Migrations;
import io.sluice.store.PgConsumerDirectory;
import io.sluice.store.StreamTokenStore;
import io.sluice.stream.AccessStream;
import io.sluice.stream.serve.StreamVerticle;
import io.sluice.sync.ClusterMaps;
import io.sluice.sync.ClusterStatus;
import io.sluice.sync.ConfigApplier;
import io.sluice.sync.NodeSyncView;
import io.sluice.sync.LocalSnapshot;
import io.sluice.sync.SyncLeader;
import io.sluice.tls.CertificateSet;
import io.sluice.tls.KeySealer;
import io.sluice.tls.LiveCertificates;
import io.sluice.tracing.Tracing;
import io.sluice.upstream.discovery.DiscoveryVerticle;
import io.sluice.upstream.health.HealthCheckVerticle;
import io.sluice.upstream.health.HealthReport;
import io.sluice.util.Backoff;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: its Vert.x instance, the live routes and the deployed verticles, started in order
 * (configuration first, then the listeners) and stopped in reverse (drain the proxy, then the rest).
 */
public final class SluiceNode {

  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);
  /** Connecting to PostgreSQL on a healthy network takes milliseconds; past this the store is down. */
  private static final int PG_CONNECT_TIMEOUT_MS = 2_000;
  /** Longest an admin request waits for a pooled connection before it answers 503. */
  private static final int PG_POOL_WAIT_MS = 2_000;
  /** Longest a starting node waits for its first configuration from the cluster (or the leader's first fill). */
  private static final long FIRST_CONFIG_TIMEOUT_S = 60;

  /** Where consumers and credentials come from (PostgreSQL after the policies merge); the node caches them. */
  @FunctionalInterface
  public interface ConsumerSource {
    ConsumerDirectory create(Pool pool, NodeSettings settings);
  }

  private final NodeSettings settings;
  private final Vertx vertx;
  private final LiveRoutes routes = new LiveRoutes();
  private final Health health = new Health();
  private final List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
  private AdminVerticle admin;
  private String proxyDeployment;
  private AccessStream stream;
  private StreamVerticle streamVerticle;

  private final String registryName;
  private final MeterRegistry registry;
  private final Membership membership;
  private final ConsumerSource consumerSource;
  /** The PostgreSQL pg.url resolved to (null without one); an embedded one stops with the node. */
  private Database database;
  private Pool pool;
  private ConfigStore store;
  private ConfigApplier applier;
  private LeaderSession session;
  private SyncLeader leader;
  private SyncMeters syncMeters;
  private ClusterStatus clusterStatus;
  private ConsumerDirectory consumers;
  private final RouteBuilder builder;
  /** The certificates the proxy's TLS listener serves, as of the applied version (none in file mode). */
  private final LiveCertificates certificates;
  /** What the policies share on this node: Redis, the consumer directory, the live node count. */
  private PolicyServices policyServices;
  private volatile boolean stopping;
  /** The node's tracing, or null while tracing.enabled is false. */
  private Tracing tracing;

  private SluiceNode(NodeSettings settings, Membership membership, String registryName, MeterRegistry registry,
                     ConsumerSource consumerSource) {
    this.settings = settings;
    this.membership = membership;
    this.vertx = membership.vertx();
    this.registryName = registryName;
    this.registry = registry;
    this.consumerSource = consumerSource;
    this.builder = new RouteBuilder(routes, registry, () -> policyServices);
    this.certificates = new LiveCertificates(registry);
  }

  /** Starts a node reading consumers and credentials from PostgreSQL (through the node's cache). */
  public static Future<SluiceNode> start(NodeSettings settings) {
    return start(settings, (pool, s) -> new PgConsumerDirectory(pool, s.keys().hmacSecret()));
  }

  /**
   * Starts a node; the future fails if a listener cannot bind. Configuration errors throw at once. With
   * cluster settings the node joins the Hazelcast cluster first, and with pg.url auto or embedded it may start
   * an embedded PostgreSQL before anything else (both block the calling thread, never an event loop).
   */
  public static Future<SluiceNode> start(NodeSettings settings, ConsumerSource consumerSource) {
    GatewayConfig config = DeclarativeConfig.read(Path.of(settings.routesFile()));
    if (!config.plugins().isEmpty()) {
      // Neither file mode nor the seeding of an empty store runs them: refused rather than silently not enforced.
      throw new io.sluice.config.ConfigException(List.of(new io.sluice.config.FieldError(settings.routesFile()
          + ": plugins", "a routes file carries services and routes only: apply plugins with PUT /config or"
          + " the admin API")));
    }
    // First, so that the first log lines say which database this is (and where an embedded one keeps its data).
    Database database = settings.pg().enabled() ? Database.open(settings) : null;
    if (database == null) {
      return start(settings, consumerSource, config, null);
    }
    try {
      // A failed deploy completes on an event loop: the embedded server is stopped off it.
      return start(settings, consumerSource, config, database).recover(err -> {
        new Thread(database::close, "sluice-database-close").start();
        return Future.failedFuture(err);
      });
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  private static Future<SluiceNode> start(NodeSettings settings, ConsumerSource consumerSource,
                                          GatewayConfig config, Database database) {
    String registryName = "sluice-" + System.identityHashCode(settings);
    VertxOptions options = new VertxOptions()
        // Native epoll where the library loads (Linux x86_64/aarch64): fewer copies and syscalls per request
        // than NIO's selector. Elsewhere Vert.x falls back to NIO (the transport is logged below).
        .setPreferNativeTransport(true)
        // No context class loader swap around every callback: one fat jar, one class loader.
        .setDisableTCCL(true)
        .setMetricsOptions(new MicrometerMetricsOptions()
            .setEnabled(true)
            .setJvmMetricsEnabled(true)
            // Vert.x's own HTTP and TCP meters are looked up with tags on every request; Sluice binds its
            // request and upstream meters once per route and target instead (see Meters).
            .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
            .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
            .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
            .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
            // Unused by the dashboards, and its handler gauge is registered twice (a warning at every start).
            .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
            // SQL client meters carry their client's metrics name (else the pool's and the sync session's
            // gauges collide: a warning at every start and one of them unseen).
            .addLabels(Label.NAMESPACE)
            .setRegistryName(registryName)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    Membership membership = Clustering.start(options, settings).await();
    Vertx vertx = membership.vertx();
    RecordCodec.registerAll(vertx);
    LOG.info("transport: {}; {}", vertx.isNativeTransportEnabled() ? "native epoll" : "NIO",
        membership.clustered() ? "cluster " + settings.cluster().name() + " as node " + membership.nodeId()
            + " (" + membership.liveNodes().size() + " members)" : "single node (no cluster settings)");
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    BuildInfo build = BuildInfo.current();
    Gauge.builder(Meters.BUILD_INFO, () -> 1).description("Always 1; the labels say which build runs")
        .tags("version", build.version(), "commit", build.commit()).register(registry);
    SluiceNode node = new SluiceNode(settings, membership, registryName, registry, consumerSource);
    node.database = database;
    NodeChecks.register(node.health, node);
    try {
      node.policyServices = node.newPolicyServices(null);
      if (settings.pg().enabled()) {
        node.followStore(config);
      } else {
        node.apply(config);
      }
      if (settings.stream().enabled()) {
        node.stream = AccessStream.start(settings, registry);
      }
    } catch (RuntimeException e) {
      node.closeStore();
      vertx.close();
      throw e;
    }
    return node.deploy().map(node).recover(err -> {
      vertx.close();
      if (node.stream != null) {
        node.stream.close();
      }
      return Future.failedFuture(err);
    });
  }

  /**
   * PostgreSQL mode: migrate the schema, seed an empty database from the routes file, load the snapshot,
   * then follow every change. Blocks on the caller's thread (the launcher's or a test's), never an event
   * loop: Flyway is JDBC. When PostgreSQL does not answer, the node serves its local snapshot (the last
   * configuration it applied) and does the rest in the background once the database answers; without a
   * usable snapshot it does not start.
   */
  private void followStore(GatewayConfig seed) {
    PgConnectOptions options = PgConnectOptions.fromUri(database.url());
    LocalSnapshot snapshot = new LocalSnapshot(snapshotFile(settings));
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
            + " does not answer (" + e.getMessage() + ") and there is no local snapshot to serve: "
            + none.getMessage(), e);
      }
      LOG.warn("PostgreSQL at {}:{} does not answer ({}): serving the local snapshot {} of version {} written at {}"
              + " (DEGRADED and stale until the database answers)", options.getHost(), options.getPort(),
          e.getMessage(), snapshot.file(), fallback.version(), Instant.ofEpochMilli(fallback.writtenAtMillis()));
    }
    // Admin writes must fail fast while PostgreSQL is down: a short connect timeout, and a short wait for a
    // pooled connection, instead of the client's defaults (which let a request hang for a long time).
    pool = PgBuilder.pool().with(new NetClientOptions().setConnectTimeout(PG_CONNECT_TIMEOUT_MS))
        .with(new PoolOptions().setMaxSize(settings.pg().poolSize())
            .setConnectionTimeout(PG_POOL_WAIT_MS).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        // Named, like the sync leader's session, so that the SQL client meters of the two are told apart.
        .connectingTo(new PgConnectOptions(options).setMetricsName("config-store")).using(vertx).build();
    store = new ConfigStore(vertx, pool);
    if (fallback == null) {
      seed(seed);
    }
    long reconcileMs = settings.sync().reconcileIntervalMs();
    syncMeters = new SyncMeters(registry);
    ClusterMaps maps = ClusterMaps.open(vertx).await();
    AsyncMap<String, String> sharedConsumers = membership.clustered()
        ? vertx.sharedData().<String, String>getAsyncMap(Clustering.CONSUMER_MAP).await() : null;
    NodeSettings.Consumers c = settings.consumers();
    CachedConsumerDirectory cached = new CachedConsumerDirectory(consumerSource.create(pool, settings),
        sharedConsumers, c.cacheSize(), c.cacheTtlS() * 1000L, c.negativeTtlS() * 1000L, registry);
    consumers = cached;
    policyServices.close();
    policyServices = newPolicyServices(cached);
    clusterStatus = new ClusterStatus(vertx, membership, maps, settings.nodeName());
    clusterStatus.start().await();
    leader = new SyncLeader(vertx, new ChangeReader(pool), maps, sharedConsumers, syncMeters, membership.nodeId(),
        reconcileMs, settings.sync().changeLogRetentionHours() * 3600L);
    leader.pruneHistory(store.history(), settings.sync().historyRetentionHours() * 3600L);
    membership.onMerged(leader::merged);
    applier = new ConfigApplier(vertx, maps, clusterStatus, syncMeters, cached, builder::apply, reconcileMs,
        snapshot);
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
    Future<Void> first;
    if (fallback == null) {
      first = applier.start();
      session.start();
    } else {
      first = applier.startFrom(fallback);
      Thread later = new Thread(() -> migrateWhenReachable(options, seed), "sluice-store-wait");
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

  /** {@code node.data_dir}/config-{node name}.json: one file per node, several nodes may share a directory. */
  static Path snapshotFile(NodeSettings settings) {
    return Path.of(settings.node().dataDir()).resolve("config-" + settings.nodeName().replaceAll("[^A-Za-z0-9._-]", "_")
        + ".json");
  }

  private static void migrate(PgConnectOptions options) {
    Migrations.Result migrated = Migrations.of(options).migrate();
    LOG.info("configuration schema at version {} ({} migration(s) applied)", migrated.schemaVersion(),
        migrated.applied());
  }

  private void seed(GatewayConfig seed) {
    store.importConfig(seed).await().ifPresent(v ->
        LOG.info("empty configuration database seeded from {} (version {})", settings.routesFile(), v));
  }

  /**
   * A node started from its snapshot: retries the migration with capped backoff until PostgreSQL answers,
   * then seeds (an empty database) and starts following the change log like any node. Its own thread: JDBC.
   */
  private void migrateWhenReachable(PgConnectOptions options, GatewayConfig seed) {
    Backoff backoff = new Backoff(500, 30_000);
    for (int attempt = 0; !stopping; attempt++) {
      try {
        Thread.sleep(backoff.delayMs(attempt));
        migrate(options);
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

  private void closeStore() {
    if (session != null) {
      session.stop();
    }
    if (pool != null) {
      pool.close();
    }
  }

  LiveRoutes liveRoutes() {
    return routes;
  }

  /** Proxy listeners up (0 until they are deployed). */
  int proxyListeners() {
    return proxyDeployment == null ? 0 : proxies.size();
  }

  PolicyServices policyServices() {
    return policyServices;
  }

  /** The node's health checks (see NodeChecks). */
  public Health health() {
    return health;
  }

  /** The configuration version this node serves: PostgreSQL's, or 0 when it serves the routes file. */
  public long appliedVersion() {
    return applier == null ? 0 : applier.appliedVersion();
  }

  /** The entities this node did not apply as written (empty in file mode, where the file is refused whole). */
  public List<Rejection> rejected() {
    return applier == null ? List.of() : applier.rejected();
  }

  /** The local snapshot this node serves because PostgreSQL did not answer at start (null otherwise). */
  public LocalSnapshot.State servingSnapshot() {
    return applier == null ? null : applier.servingSnapshot();
  }

  /** The versions this node applied lately, in order (empty in file mode). */
  public List<Long> recentlyApplied() {
    return applier == null ? List.of() : applier.recentlyApplied();
  }

  /** Consumers and credentials, read through the node's cache (null in file mode, without PostgreSQL). */
  public ConsumerDirectory consumers() {
    return consumers;
  }

  /** Whether this node is the sync leader now. */
  public boolean syncLeader() {
    return leader != null && leader.leading();
  }

  /** This node's sync meters (null in file mode). */
  public SyncMeters syncMeters() {
    return syncMeters;
  }

  /** This node's meter registry (what /metrics shows). */
  public MeterRegistry registry() {
    return registry;
  }

  public Membership membership() {
    return membership;
  }

  private PolicyServices newPolicyServices(ConsumerDirectory directory) {
    NodeSettings.Redis redis = settings.redis();
    return new PolicyServices(vertx, directory, registry, () -> Math.max(1, membership.liveNodes().size()),
        settings.keys().hmacSecret(), redis.url(), redis.timeoutMs(), redis.retryMs());
  }

  /** Builds the route table for {@code config} (no plugins: the routes file) and swaps it in. */
  public void apply(GatewayConfig config) {
    builder.apply(config, List.of());
  }

  /** The configuration the route table was last built from (null before the first). */
  public GatewayConfig servedConfig() {
    return builder.served();
  }

  private Future<Void> deploy() {
    admin = new AdminVerticle(new AdminContext(vertx, settings, pool == null ? null : new EntityStore(vertx, pool),
        store, pool == null ? null : new StreamTokenStore(pool), this::appliedVersion,
        this::servedConfig, clusterStatus,
        new NodeSyncView(membership, settings.nodeName(), this::appliedVersion, this::syncMeters, this::syncLeader,
            this::rejected, this::servingSnapshot),
        () -> policyServices.redis()), registryName, health);
    admin.upstreamHealth(name -> HealthReport.of(routes.current().upstreams(), name));
    if (settings.tracing().enabled()) {
      tracing = Tracing.otlp(settings.tracing());
      Tracing.install(tracing);
    }
    return vertx.deployVerticle(new HealthCheckVerticle(() -> routes.current().upstreams(), registry))
        .compose(checks -> vertx.deployVerticle(new DiscoveryVerticle(() -> routes.current().upstreams(),
            settings.discovery(), registry)))
        .compose(discovery -> vertx.deployVerticle(() -> {
          ProxyVerticle p = new ProxyVerticle(settings, routes, registry, stream == null ? null : stream.exporter(),
              certificates);
          proxies.add(p);
          return p;
        }, new DeploymentOptions().setInstances(settings.proxyInstances())))
        .recover(err -> listenerFailed("proxy", settings.proxy().host(), settings.proxy().port(), err)
            .recover(e -> Future.failedFuture(settings.proxy().tlsEnabled() ? new IllegalStateException(
                e.getMessage() + " (or its TLS listener on port " + settings.proxy().tlsPort() + ", proxy.tls_port)",
                err) : e)))
        .compose(id -> {
          proxyDeployment = id;
          return vertx.deployVerticle(admin)
              .recover(err -> listenerFailed("admin", settings.admin().host(), settings.admin().port(), err));
        })
        .compose(id -> {
          if (stream == null) {
            return Future.succeededFuture(id);
          }
          streamVerticle = new StreamVerticle(settings.stream(), stream.feed(),
              pool == null ? null : new StreamTokenStore(pool)::tenantOf, settings.keys().hmacSecret()).tls(settings.tls());
          return vertx.deployVerticle(streamVerticle)
              .recover(err -> listenerFailed("stream", settings.stream().host(), settings.stream().port(), err));
        })
        .onSuccess(id -> LOG.info("listening: proxy {}:{} (TLS {}, {} event loops), admin {}:{}, stream {}",
            settings.proxy().host(), proxyPort(), proxyTlsPort() < 0 ? "off" : proxyTlsPort(),
            settings.proxyInstances(), settings.admin().host(), adminPort(),
            streamVerticle == null ? "off" : settings.stream().host() + ":" + streamPort()))
        .mapEmpty();
  }

  /** A listener that could not bind, named with its setting (a busy port is the usual cause). */
  private static Future<String> listenerFailed(String listener, String host, int port, Throwable err) {
    return Future.failedFuture(new IllegalStateException("the " + listener + " listener cannot listen on " + host
        + ":" + port + " (" + listener + ".host, " + listener + ".port): " + err.getMessage(), err));
  }

  public int proxyPort() {
    return proxies.get(0).actualPort();
  }

  /** The proxy's TLS listener port, or -1 when it is off. */
  public int proxyTlsPort() {
    return proxies.get(0).actualTlsPort();
  }

  /** The certificates the proxy's TLS listener serves now. */
  public LiveCertificates certificates() {
    return certificates;
  }

  /** The stream listener's port, or -1 when the access stream is off. */
  public int streamPort() {
    return streamVerticle == null ? -1 : streamVerticle.actualPort();
  }

  /** The access stream (exporter, feed, in-process broker), or null when it is off. */
  public AccessStream stream() {
    return stream;
  }

  public int adminPort() {
    return admin.actualPort();
  }

  public Vertx vertx() {
    return vertx;
  }

  public NodeSettings settings() {
    return settings;
  }

  /**
   * Drains the proxy (in-flight requests finish up to proxy.drain_timeout_ms), then closes everything.
   * Blocks: call it from a thread that is not one of the node's event loops (the launcher, a test).
   */
  public void stop() {
    stopping = true;
    LOG.info("draining: no new connections, in-flight requests have {} ms", settings.proxy().drainTimeoutMs());
    try {
      if (proxyDeployment != null) {
        vertx.undeploy(proxyDeployment).toCompletionStage().toCompletableFuture()
            .get(settings.proxy().drainTimeoutMs() + 5_000, TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      LOG.warn("drain did not complete: {}", e.toString());
    }
    try {
      if (session != null) {
        session.stop().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warn("sync session did not stop: {}", e.toString());
    }
    if (policyServices != null) {
      policyServices.close();
    }
    Tracing.uninstall(tracing); // flushes the spans still queued
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("close did not complete: {}", e.toString());
    }
    if (stream != null) {
      stream.close(); // after the drain: the proxy's last records are exported or spooled
    }
    if (database != null) {
      database.close(); // last: the sync session and the pool are closed with Vert.x
    }
  }
}

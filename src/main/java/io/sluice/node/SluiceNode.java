package io.sluice.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.admin.AdminContext;
import io.sluice.admin.AdminVerticle;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.consumer.CachingConsumerDirectory;
import io.sluice.consumer.PgConsumerDirectory;
import io.sluice.policy.ChainBuilder;
import io.sluice.policy.PolicyServices;
import io.sluice.store.Snapshot;
import io.sluice.config.ServiceDef;
import io.sluice.metrics.Meters;
import io.sluice.proxy.ProxyVerticle;
import io.sluice.route.LiveRoutes;
import io.sluice.route.RouteTable;
import io.sluice.store.ConfigListener;
import io.sluice.store.ConfigStore;
import io.sluice.store.Migrations;
import io.sluice.sync.ConfigFollower;
import io.sluice.upstream.Upstream;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  private final NodeSettings settings;
  private final Vertx vertx;
  private final LiveRoutes routes = new LiveRoutes();
  private volatile GatewayConfig served;
  private final List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
  private AdminVerticle admin;
  private String proxyDeployment;

  private final String registryName;
  private Pool pool;
  private ConfigStore store;
  private ConfigFollower follower;
  private ConfigListener listener;
  private PolicyServices policyServices;
  /** The consumer directory of the auth policies (null without PostgreSQL). */
  private CachingConsumerDirectory consumers;
  /** Live nodes of the cluster, for the share of a limit each node enforces alone; 1 until the cluster lands. */
  private volatile java.util.function.IntSupplier liveNodes = () -> 1;

  private SluiceNode(NodeSettings settings, Vertx vertx, String registryName) {
    this.settings = settings;
    this.vertx = vertx;
    this.registryName = registryName;
  }

  /** Starts a node; the future fails if a listener cannot bind. Configuration errors throw at once. */
  public static Future<SluiceNode> start(NodeSettings settings) {
    GatewayConfig config = DeclarativeConfig.read(Path.of(settings.routesFile()));
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
            .setRegistryName(registryName)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    Vertx vertx = Vertx.builder().with(options).build();
    LOG.info("transport: {}", vertx.isNativeTransportEnabled() ? "native epoll" : "NIO");
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    Meters.bind(registry);
    BuildInfo build = BuildInfo.current();
    Gauge.builder(Meters.BUILD_INFO, () -> 1).description("Always 1; the labels say which build runs")
        .tags("version", build.version(), "commit", build.commit()).register(registry);
    SluiceNode node = new SluiceNode(settings, vertx, registryName);
    try {
      node.policyServices = node.newPolicyServices(null);
      if (settings.pg().enabled()) {
        node.followStore(config);
      } else {
        node.apply(config);
      }
    } catch (RuntimeException e) {
      node.closeStore();
      vertx.close();
      throw e;
    }
    return node.deploy().map(node).recover(err -> {
      vertx.close();
      return Future.failedFuture(err);
    });
  }

  /**
   * PostgreSQL mode: migrate the schema, seed an empty database from the routes file, load the snapshot,
   * then follow every change. Blocks on the caller's thread (the launcher's or a test's), never an event
   * loop: Flyway is JDBC.
   */
  private void followStore(GatewayConfig seed) {
    PgConnectOptions options = PgConnectOptions.fromUri(settings.pg().url());
    Migrations.Result migrated = Migrations.of(options).migrate();
    LOG.info("configuration schema at version {} ({} migration(s) applied)", migrated.schemaVersion(),
        migrated.applied());
    // Admin writes must fail fast while PostgreSQL is down: a short connect timeout, and a short wait for a
    // pooled connection, instead of the client's defaults (which let a request hang for a long time).
    pool = PgBuilder.pool().with(new NetClientOptions().setConnectTimeout(PG_CONNECT_TIMEOUT_MS))
        .with(new PoolOptions().setMaxSize(settings.pg().poolSize())
            .setConnectionTimeout(PG_POOL_WAIT_MS).setConnectionTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectingTo(options).using(vertx).build();
    store = new ConfigStore(vertx, pool);
    policyServices.close();
    consumers = new CachingConsumerDirectory(new PgConsumerDirectory(pool, settings.keys().hmacSecret()));
    policyServices = newPolicyServices(consumers);
    store.importConfig(seed).await().ifPresent(v ->
        LOG.info("empty configuration database seeded from {} (version {})", settings.routesFile(), v));
    follower = new ConfigFollower(vertx, store, this::apply);
    follower.loadInitial().await();
    listener = new ConfigListener(vertx, options, follower::wake);
    listener.start();
  }

  private void closeStore() {
    if (listener != null) {
      listener.stop();
    }
    if (pool != null) {
      pool.close();
    }
  }

  /** The configuration version this node serves: PostgreSQL's, or 0 when it serves the routes file. */
  public long appliedVersion() {
    return follower == null ? 0 : follower.appliedVersion();
  }

  private PolicyServices newPolicyServices(io.sluice.consumer.ConsumerDirectory directory) {
    NodeSettings.Redis redis = settings.redis();
    return new PolicyServices(vertx, directory, Meters.registry(), () -> liveNodes.getAsInt(),
        settings.keys().hmacSecret(), redis.url(), redis.timeoutMs(), redis.retryMs());
  }

  /** Where the live node count comes from (the cluster membership, once it lands). */
  public void liveNodes(java.util.function.IntSupplier supplier) {
    this.liveNodes = supplier;
  }

  /** Builds the route table for {@code config} (no plugins: the routes file) and swaps it in. */
  public void apply(GatewayConfig config) {
    apply(config, List.of());
  }

  private void apply(Snapshot snapshot) {
    if (consumers != null) {
      // Any version may have changed consumers or credentials: what the directory cached is forgotten.
      consumers.invalidateAll();
    }
    apply(snapshot.config(), snapshot.plugins());
  }

  /**
   * Builds the route table with every route's policy chain bound, and swaps it in; requests in flight keep
   * the old one. A plugin that cannot be built throws, and the node keeps the table it has.
   */
  public void apply(GatewayConfig config, List<PluginDef> plugins) {
    Map<String, Upstream> upstreams = new HashMap<>();
    for (ServiceDef s : config.services()) {
      upstreams.put(s.name(), new Upstream(s));
    }
    ChainBuilder chains = new ChainBuilder(plugins, policyServices);
    RouteTable table = RouteTable.build(config.routes(), upstreams, chains::chainFor);
    routes.swap(table);
    served = config;
    LOG.info("configuration applied: {} services, {} routes, {} plugins", upstreams.size(), table.size(),
        plugins.size());
  }

  /** The configuration the route table was last built from (null before the first). */
  public GatewayConfig servedConfig() {
    return served;
  }

  private Future<Void> deploy() {
    admin = new AdminVerticle(new AdminContext(vertx, settings, pool, store, this::appliedVersion,
        this::servedConfig, () -> policyServices.redis()), registryName, routes::loaded);
    return vertx.deployVerticle(() -> {
          ProxyVerticle p = new ProxyVerticle(settings, routes);
          proxies.add(p);
          return p;
        }, new DeploymentOptions().setInstances(settings.proxyInstances()))
        .compose(id -> {
          proxyDeployment = id;
          return vertx.deployVerticle(admin);
        })
        .onSuccess(id -> LOG.info("listening: proxy {}:{} ({} event loops), admin {}:{}",
            settings.proxy().host(), proxyPort(), settings.proxyInstances(), settings.admin().host(), adminPort()))
        .mapEmpty();
  }

  public int proxyPort() {
    return proxies.get(0).actualPort();
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
      if (listener != null) {
        listener.stop().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      LOG.warn("configuration listener did not stop: {}", e.toString());
    }
    if (policyServices != null) {
      policyServices.close();
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("close did not complete: {}", e.toString());
    }
  }
}

package io.sluice.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.admin.AdminContext;
import io.sluice.admin.AdminVerticle;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.ServiceDef;
import io.sluice.metrics.Meters;
import io.sluice.proxy.ProxyVerticle;
import io.sluice.route.LiveRoutes;
import io.sluice.route.RouteTable;
import io.sluice.store.ConfigListener;
import io.sluice.store.ConfigStore;
import io.sluice.store.Migrations;
import io.sluice.stream.AccessStream;
import io.sluice.stream.StreamVerticle;
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
  private AccessStream stream;
  private StreamVerticle streamVerticle;

  private final String registryName;
  private Pool pool;
  private ConfigStore store;
  private ConfigFollower follower;
  private ConfigListener listener;

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
      if (settings.pg().enabled()) {
        node.followStore(config);
      } else {
        node.apply(config);
      }
      if (settings.stream().enabled()) {
        node.stream = AccessStream.start(settings, Meters.registry());
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

  /** Builds the route table for {@code config} and swaps it in; requests in flight keep the old one. */
  public void apply(GatewayConfig config) {
    Map<String, Upstream> upstreams = new HashMap<>();
    for (ServiceDef s : config.services()) {
      upstreams.put(s.name(), new Upstream(s));
    }
    RouteTable table = RouteTable.build(config.routes(), upstreams);
    routes.swap(table);
    served = config;
    LOG.info("configuration applied: {} services, {} routes", upstreams.size(), table.size());
  }

  /** The configuration the route table was last built from (null before the first). */
  public GatewayConfig servedConfig() {
    return served;
  }

  private Future<Void> deploy() {
    admin = new AdminVerticle(new AdminContext(vertx, settings, pool, store, this::appliedVersion,
        this::servedConfig), registryName, routes::loaded);
    return vertx.deployVerticle(() -> {
          ProxyVerticle p = new ProxyVerticle(settings, routes, stream == null ? null : stream.exporter());
          proxies.add(p);
          return p;
        }, new DeploymentOptions().setInstances(settings.proxyInstances()))
        .compose(id -> {
          proxyDeployment = id;
          return vertx.deployVerticle(admin);
        })
        .compose(id -> {
          if (stream == null) {
            return Future.succeededFuture(id);
          }
          streamVerticle = new StreamVerticle(settings.stream(), stream.feed(), pool, settings.keys().hmacSecret());
          return vertx.deployVerticle(streamVerticle);
        })
        .onSuccess(id -> LOG.info("listening: proxy {}:{} ({} event loops), admin {}:{}, stream {}",
            settings.proxy().host(), proxyPort(), settings.proxyInstances(), settings.admin().host(), adminPort(),
            streamVerticle == null ? "off" : settings.stream().host() + ":" + streamPort()))
        .mapEmpty();
  }

  public int proxyPort() {
    return proxies.get(0).actualPort();
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
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("close did not complete: {}", e.toString());
    }
    if (stream != null) {
      stream.close(); // after the drain: the proxy's last records are exported or spooled
    }
  }
}

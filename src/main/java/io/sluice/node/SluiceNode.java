package io.sluice.node;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.bus.RecordCodec;
import io.sluice.cluster.Clustering;
import io.sluice.cluster.Membership;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.Rejection;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.health.Health;
import io.sluice.metrics.Meters;
import io.sluice.metrics.SyncMeters;
import io.sluice.policy.PolicyServices;
import io.sluice.route.LiveRoutes;
import io.sluice.route.RouteBuilder;
import io.sluice.settings.BuildInfo;
import io.sluice.settings.NodeSettings;
import io.sluice.store.PgConsumerDirectory;
import io.sluice.stream.AccessStream;
import io.sluice.sync.ConfigApplier;
import io.sluice.sync.LocalSnapshot;
import io.sluice.tls.LiveCertificates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.sqlclient.Pool;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running node: its Vert.x instance, the live routes and the deployed verticles, started in order
 * (configuration first, then the listeners) and stopped in reverse (drain the proxy, then the rest).
 */
public final class SluiceNode {

  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);
  /** Set when stop() begins: readiness is DOWN while the proxy drains (a load balancer must stop sending). */
  private volatile boolean draining;

  /** Where consumers and credentials come from (PostgreSQL after the policies merge); the node caches them. */
  @FunctionalInterface
  public interface ConsumerSource {
    ConsumerDirectory create(Pool pool, NodeSettings settings);
  }

  private final NodeSettings settings;
  private final Vertx vertx;
  private final LiveRoutes routes = new LiveRoutes();
  private final Health health = new Health();
  private AccessStream stream;

  private final MeterRegistry registry;
  private final Membership membership;
  private final ConsumerSource consumerSource;
  /** The PostgreSQL pg.url resolved to (null without one); an embedded one stops with the node. */
  private Database database;
  /** Configuration in PostgreSQL, followed (null in file mode, without pg.url). */
  private StoreFollower follower;
  private final RouteBuilder builder;
  /** The certificates the proxy's TLS listener serves, as of the applied version (none in file mode). */
  private final LiveCertificates certificates;
  /** What the policies share on this node: Redis, the consumer directory, the live node count. */
  private PolicyServices policyServices;
  /** The proxy, admin and stream listeners, deployed once the configuration is in. */
  private final Listeners listeners;

  private SluiceNode(NodeSettings settings, Membership membership, String registryName, MeterRegistry registry,
                     ConsumerSource consumerSource) {
    this.settings = settings;
    this.membership = membership;
    this.vertx = membership.vertx();
    this.registry = registry;
    this.consumerSource = consumerSource;
    this.builder = new RouteBuilder(routes, registry, () -> policyServices);
    this.certificates = new LiveCertificates(registry);
    this.listeners = new Listeners(this, registryName);
  }

  /** Starts a node reading consumers and credentials from PostgreSQL (through the node's cache). */
  public static Future<SluiceNode> start(NodeSettings settings) {
    return start(settings, (pool, s) -> new PgConsumerDirectory(pool, s.keys().hmacSecret()));
  }

  /**
   * The routes file read: all a node serves in file mode, the seed of an empty database with PostgreSQL. With
   * PostgreSQL it may be left out ({@code routes_file: ""}), and the default one missing is no seed (found from
   * outside: a node started outside the repository with only pg.url set stopped at a missing conf/routes.yaml).
   * Without PostgreSQL an empty one is refused with the settings ({@code SettingsChecks}).
   */
  private static GatewayConfig routesFile(NodeSettings settings) {
    String file = settings.routesFile() == null ? "" : settings.routesFile();
    boolean missingDefault = file.equals(NodeSettings.DEFAULT_ROUTES_FILE) && !java.nio.file.Files.exists(Path.of(file));
    if (settings.pg().enabled() && (file.isEmpty() || missingDefault)) {
      LOG.info("no routes file ({}): an empty configuration database is not seeded", file.isEmpty()
          ? "routes_file is empty" : file + " does not exist");
      return DeclarativeConfig.parse("format_version: 1");
    }
    return DeclarativeConfig.read(Path.of(file));
  }

  /**
   * Starts a node; the future fails if a listener cannot bind. Configuration errors throw at once. With
   * cluster settings the node joins the Hazelcast cluster first, and with pg.url auto or embedded it may start
   * an embedded PostgreSQL before anything else (both block the calling thread, never an event loop).
   */
  public static Future<SluiceNode> start(NodeSettings settings, ConsumerSource consumerSource) {
    GatewayConfig config = routesFile(settings);
    // Names of the form of an id, and tenant names not in their one form, refused as the admin API and PUT /config
    // refuse them (served in file mode, or seeded into the store, such a name could later be read as another
    // entity's id, or stand beside a tenant of the same name).
    List<io.sluice.config.FieldError> idNames = new java.util.ArrayList<>(io.sluice.config.IdFormNames.inFile(config));
    idNames.addAll(io.sluice.config.Tenants.inFile(config));
    if (!idNames.isEmpty()) {
      throw new io.sluice.config.ConfigException(idNames);
    }
    String extra = !config.plugins().isEmpty() ? "plugins" : config.hasConsumers() ? "consumers"
        : config.hasCertificates() ? "certificates" : config.hasTenants() ? "tenants" : null;
    if (extra != null) {
      // Neither file mode nor the seeding of an empty store writes them: refused rather than silently ignored.
      throw new io.sluice.config.ConfigException(List.of(new io.sluice.config.FieldError(settings.routesFile()
          + ": " + extra, "a routes file carries services and routes only: apply " + extra + " with PUT /config or"
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

  /** The members {@code membership} sees, or NaN once its Hazelcast member stopped (a scrape during shutdown). */
  private static double members(Membership membership) {
    try {
      return membership.liveNodes().size();
    } catch (RuntimeException stopping) {
      return Double.NaN;
    }
  }

  private static Future<SluiceNode> start(NodeSettings settings, ConsumerSource consumerSource,
                                          GatewayConfig config, Database database) {
    String registryName = "sluice-" + System.identityHashCode(settings);
    VertxOptions options = VertxSetup.options(registryName);
    VertxSetup.Choice transport = VertxSetup.transport(settings.node().transport());
    if (transport.fallbackReason() != null) {
      LOG.info("node.transport auto: {}; {} instead", transport.fallbackReason(), transport.transport().name());
    }
    Membership membership = Clustering.start(options, transport.transport(), settings).await();
    Vertx vertx = membership.vertx();
    RecordCodec.registerAll(vertx);
    LOG.info("transport: {}; {}", transport.transport().name(),
        membership.clustered() ? "cluster " + settings.cluster().name() + " as node " + membership.nodeId()
            + " (" + membership.liveNodes().size() + " members)" : "single node (no cluster settings)");
    MeterRegistry registry = BackendRegistries.getNow(registryName);
    BuildInfo build = BuildInfo.current();
    Gauge.builder(Meters.BUILD_INFO, () -> 1).description("Always 1; the labels say which build runs")
        .tags("version", build.version(), "commit", build.commit()).register(registry);
    if (membership.clustered()) {
      Gauge.builder(Meters.CLUSTER_MEMBERS, membership, SluiceNode::members)
          .description("Cluster members this node sees, itself included; nodes of one cluster that see different"
              + " counts are split (a pause or a partition), until Hazelcast merges them")
          .tags("cluster", settings.cluster().name()).register(registry);
    }
    SluiceNode node = new SluiceNode(settings, membership, registryName, registry, consumerSource);
    node.database = database;
    NodeChecks.register(node.health, node);
    try {
      node.policyServices = node.newPolicyServices(null);
      if (settings.pg().enabled()) {
        node.follower = StoreFollower.start(settings, membership, registry, database, consumerSource, config,
            new RouteApply(node.builder), node.certificates, directory -> {
              node.policyServices.close();
              node.policyServices = node.newPolicyServices(directory);
            });
      } else {
        node.apply(config);
      }
      if (settings.stream().enabled()) {
        node.stream = AccessStream.start(settings, registry);
      }
    } catch (RuntimeException e) {
      if (node.follower != null) {
        node.follower.close();
      }
      vertx.close();
      throw e;
    }
    return node.listeners.deploy(node.follower).map(node).recover(err -> {
      vertx.close();
      if (node.stream != null) {
        node.stream.close();
      }
      return Future.failedFuture(err);
    });
  }

  LiveRoutes liveRoutes() {
    return routes;
  }

  /** Proxy listeners up (0 until they are deployed). */
  int proxyListeners() {
    return listeners.proxyListeners();
  }

  /** Whether the node is stopping (its proxy refuses new connections while in-flight requests finish). */
  boolean draining() {
    return draining;
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
    return follower == null ? 0 : follower.applier().appliedVersion();
  }

  /** The entities this node did not apply as written (empty in file mode, where the file is refused whole). */
  public List<Rejection> rejected() {
    return follower == null ? List.of() : follower.applier().rejected();
  }

  /** This node's applier of the configuration's changes (null in file mode). */
  ConfigApplier applier() {
    return follower == null ? null : follower.applier();
  }

  /** The local snapshot this node serves because PostgreSQL did not answer at start (null otherwise). */
  public LocalSnapshot.State servingSnapshot() {
    return follower == null ? null : follower.applier().servingSnapshot();
  }

  /** The versions this node applied lately, in order (empty in file mode). */
  public List<Long> recentlyApplied() {
    return follower == null ? List.of() : follower.applier().recentlyApplied();
  }

  /** Consumers and credentials, read through the node's cache (null in file mode, without PostgreSQL). */
  public ConsumerDirectory consumers() {
    return follower == null ? null : follower.consumers();
  }

  /** Whether this node is the sync leader now. */
  public boolean syncLeader() {
    return follower != null && follower.leading();
  }

  /** This node's sync meters (null in file mode). */
  public SyncMeters syncMeters() {
    return follower == null ? null : follower.syncMeters();
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

  public int proxyPort() {
    return listeners.proxyPort();
  }

  /** The proxy's TLS listener port, or -1 when it is off. */
  public int proxyTlsPort() {
    return listeners.proxyTlsPort();
  }

  /** The certificates the proxy's TLS listener serves now. */
  public LiveCertificates certificates() {
    return certificates;
  }

  /** The stream listener's port, or -1 when the access stream is off. */
  public int streamPort() {
    return listeners.streamPort();
  }

  /** The access stream (exporter, feed, in-process broker), or null when it is off. */
  public AccessStream stream() {
    return stream;
  }

  public int adminPort() {
    return listeners.adminPort();
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
    draining = true; // /health/ready says DOWN from now: the listener stops taking connections
    listeners.streamRefusesNew(); // and the stream its subscribers (1001), the open ones closed after the drain
    LOG.info("draining: no new connections, in-flight requests have {} ms", settings.proxy().drainTimeoutMs());
    try {
      if (listeners.proxyDeployment() != null) {
        vertx.undeploy(listeners.proxyDeployment()).toCompletionStage().toCompletableFuture()
            .get(settings.proxy().drainTimeoutMs() + 5_000, TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      LOG.warn("drain did not complete: {}", e.toString());
    }
    if (follower != null) {
      follower.stop();
    }
    if (policyServices != null) {
      policyServices.close();
    }
    if (listeners.tracing() != null) {
      listeners.tracing().stop(); // flushes the spans still queued
    }
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("close did not complete: {}", e.toString());
    }
    if (follower != null) {
      follower.release();
    }
    if (stream != null) {
      stream.close(); // after the drain: the proxy's last records are exported or spooled
    }
    if (database != null) {
      database.close(); // last: the sync session and the pool are closed with Vert.x
    }
  }
}

package io.sluice.node;

import io.sluice.admin.AdminContext;
import io.sluice.admin.AdminVerticle;
import io.sluice.proxy.ProxyVerticle;
import io.sluice.route.LiveRoutes;
import io.sluice.settings.NodeSettings;
import io.sluice.store.EntityStore;
import io.sluice.store.StreamTokenStore;
import io.sluice.stream.AccessStream;
import io.sluice.stream.serve.StreamVerticle;
import io.sluice.sync.NodeSyncView;
import io.sluice.tracing.TracingControl;
import io.sluice.upstream.discovery.DiscoveryVerticle;
import io.sluice.upstream.health.HealthCheckVerticle;
import io.sluice.upstream.health.HealthReport;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's listeners, deployed in order once its configuration is in: upstream health checks and discovery, the
 * proxy (one verticle per event loop, with its TLS listener), the admin API, the stream. A listener that cannot bind
 * fails the start with its settings named.
 */
final class Listeners {

  /** The node's logger: the "listening" line is the node's, as before this class was split from it. */
  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);

  private final SluiceNode node;
  private final String registryName;
  private final List<ProxyVerticle> proxies = new CopyOnWriteArrayList<>();
  private AdminVerticle admin;
  private String proxyDeployment;
  private StreamVerticle streamVerticle;
  /** The node's tracing, on or off at runtime (PUT /tracing); null until the listeners are deployed. */
  private TracingControl tracing;

  Listeners(SluiceNode node, String registryName) {
    this.node = node;
    this.registryName = registryName;
  }

  /** Deploys the listeners; {@code follower} is the node's configuration in PostgreSQL (null in file mode). */
  Future<Void> deploy(StoreFollower follower) {
    Vertx vertx = node.vertx();
    NodeSettings settings = node.settings();
    LiveRoutes routes = node.liveRoutes();
    AccessStream stream = node.stream();
    Pool pool = follower == null ? null : follower.pool();
    admin = new AdminVerticle(new AdminContext(vertx, settings, pool == null ? null : new EntityStore(vertx, pool),
        follower == null ? null : follower.store(), pool == null ? null : new StreamTokenStore(pool),
        node::appliedVersion, node::servedConfig, follower == null ? null : follower.clusterStatus(),
        new NodeSyncView(node.membership(), settings.nodeName(), node::appliedVersion, node::syncMeters,
            node::syncLeader, node::rejected, node::servingSnapshot),
        () -> node.policyServices().redis()), registryName, node.health());
    admin.upstreamHealth(name -> HealthReport.of(routes.current().upstreams(), name, AdminVerticle.ServiceHealth::new))
        .upstreams(() -> HealthReport.watched(routes.current().upstreams()));
    tracing = new TracingControl(settings.tracing(), node.registry());
    admin.tracing(tracing);
    return vertx.deployVerticle(new HealthCheckVerticle(() -> routes.current().upstreams(), node.registry()))
        .compose(checks -> vertx.deployVerticle(new DiscoveryVerticle(() -> routes.current().upstreams(),
            settings.discovery(), node.registry())))
        .compose(discovery -> vertx.deployVerticle(() -> {
          ProxyVerticle p = new ProxyVerticle(settings, routes, node.registry(),
              stream == null ? null : stream.exporter(), node.certificates());
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

  /** Proxy listeners up (0 until they are deployed). */
  int proxyListeners() {
    return proxyDeployment == null ? 0 : proxies.size();
  }

  /** The proxy's deployment id (null until deployed): undeployed first at stop, to drain. */
  String proxyDeployment() {
    return proxyDeployment;
  }

  TracingControl tracing() {
    return tracing;
  }

  int proxyPort() {
    return proxies.get(0).actualPort();
  }

  int proxyTlsPort() {
    return proxies.get(0).actualTlsPort();
  }

  int streamPort() {
    return streamVerticle == null ? -1 : streamVerticle.actualPort();
  }

  /** The node drains: the stream listener turns new subscribers away. */
  void streamRefusesNew() {
    if (streamVerticle != null) {
      streamVerticle.refuseNew();
    }
  }

  int adminPort() {
    return admin.actualPort();
  }
}

package io.sluice.route;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.ServiceDef;
import io.sluice.policy.registry.ChainBuilder;
import io.sluice.policy.PolicyServices;
import io.sluice.upstream.Upstream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a configuration into the node's route table and swaps it in: what the sync applier (or the routes
 * file, without PostgreSQL) hands every version to. A service whose definition did not change keeps its
 * runtime form (pools, breakers, balancer state) across rebuilds.
 */
public final class RouteBuilder {

  private static final Logger LOG = LoggerFactory.getLogger(RouteBuilder.class);

  private final LiveRoutes routes;
  private final MeterRegistry registry;
  private final Supplier<PolicyServices> services;
  /** The runtime form of each service last applied, reused while its definition is unchanged. */
  private Map<ServiceDef, Upstream> built = Map.of();
  private volatile GatewayConfig served;

  /** {@code services}: what the policies of the next build share (read at every build). */
  public RouteBuilder(LiveRoutes routes, MeterRegistry registry, Supplier<PolicyServices> services) {
    this.routes = routes;
    this.registry = registry;
    this.services = services;
  }

  /**
   * Builds the route table with every route's policy chain bound, and swaps it in; requests in flight keep
   * the old one. A plugin that cannot be built throws, and the node keeps the table it has.
   */
  public synchronized void apply(GatewayConfig config, List<PluginDef> plugins) {
    Map<String, Upstream> upstreams = new HashMap<>();
    Map<ServiceDef, Upstream> next = new HashMap<>();
    int reused = 0;
    for (ServiceDef s : config.services()) {
      Upstream u = built.get(s);
      if (u == null) {
        u = new Upstream(s, registry);
      } else {
        reused++;
      }
      upstreams.put(s.name(), u);
      next.put(s, u);
    }
    ChainBuilder chains = new ChainBuilder(plugins, services.get());
    RouteTable table = RouteTable.build(config.routes(), upstreams, registry, chains::chainFor);
    routes.swap(table);
    built = next;
    served = config;
    LOG.debug("configuration applied: {} services ({} unchanged), {} routes, {} plugins", upstreams.size(), reused,
        table.size(), plugins.size());
  }

  /** The configuration the route table was last built from (null before the first). */
  public GatewayConfig served() {
    return served;
  }
}

package io.sluice.route;

import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.EntityType;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.sluice.policy.registry.ChainBuilder;
import io.sluice.policy.PolicyServices;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import java.util.ArrayList;
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
 *
 * <p>A build costs what changed (issue 19): a route whose definition, service and policy chain did not
 * change is reused from the table served (its parsed paths, meters and chain), and a plugin whose definition
 * did not change keeps its instance; what remains per unchanged route is a few hash inserts into the new
 * index. A full build ({@code full}, the reload path) makes everything anew; both match alike
 * (RouteBuildEquivalenceTest).
 */
public final class RouteBuilder {

  private static final Logger LOG = LoggerFactory.getLogger(RouteBuilder.class);

  private final LiveRoutes routes;
  private final MeterRegistry registry;
  private final Supplier<PolicyServices> services;
  /** The runtime form of each service last applied, reused while its definition is unchanged. */
  private Map<ServiceDef, Upstream> built = Map.of();
  /** The plugins' instances of the last build (reused while their definitions are unchanged), or null. */
  private ChainBuilder lastChains;
  /** The last build's services by name and its rejections: what a patch keeps. */
  private Map<String, Upstream> lastUpstreams = Map.of();
  private List<Rejection> lastRejected = List.of();
  private volatile GatewayConfig served;

  /** {@code services}: what the policies of the next build share (read at every build). */
  public RouteBuilder(LiveRoutes routes, MeterRegistry registry, Supplier<PolicyServices> services) {
    this.routes = routes;
    this.registry = registry;
    this.services = services;
  }

  /**
   * Builds the route table with every route's policy chain bound, and swaps it in; requests in flight keep
   * the old one. Entity by entity: a service, route or plugin that cannot be built is left out (with the
   * routes that need it) and answered in the list of rejections (services and routes by name, plugins by
   * id; no version); everything else is served.
   */
  public synchronized List<Rejection> apply(GatewayConfig config, List<PluginDef> plugins) {
    return apply(config, plugins, Map.of());
  }

  /** As {@link #apply(GatewayConfig, List)}, each service's tenant id by service name (records key tenants by id). */
  public synchronized List<Rejection> apply(GatewayConfig config, List<PluginDef> plugins, Map<String, String> tenantIds) {
    return apply(config, plugins, tenantIds, false);
  }

  /**
   * As {@link #apply(GatewayConfig, List, Map)}; {@code full}: nothing of the table served is reused (routes
   * and plugin instances are made anew; services keep their runtime form as always).
   */
  public synchronized List<Rejection> apply(GatewayConfig config, List<PluginDef> plugins, Map<String, String> tenantIds,
                                            boolean full) {
    if (full) {
      lastChains = null;
    }
    List<Rejection> rejected = new ArrayList<>();
    Map<String, Upstream> upstreams = new HashMap<>();
    Map<ServiceDef, Upstream> next = new HashMap<>();
    int reused = 0;
    for (ServiceDef s : config.services()) {
      Upstream u = built.get(s);
      String tenantId = tenantIds.get(s.name());
      if (u == null || !java.util.Objects.equals(u.tenantId(), tenantId)) {
        try {
          u = new Upstream(s, registry, tenantId);
        } catch (RuntimeException e) {
          rejected.add(new Rejection(EntityType.SERVICE, null, s.name(), String.valueOf(e.getMessage()), 0, false));
          continue;
        }
      } else {
        reused++;
      }
      upstreams.put(s.name(), u);
      next.put(s, u);
    }
    ChainBuilder chains = chains(plugins, rejected);
    RouteTable table = RouteTable.build(config.routes(), upstreams, registry, route -> chains.chainFor(route,
        upstreams.containsKey(route.service()) ? upstreams.get(route.service()).tenant() : null), (route, reason) ->
        rejected.add(new Rejection(EntityType.ROUTE, null, route.name(), reason, 0, false)),
        full ? RouteTable.EMPTY : routes.current());
    RouteTable previous = routes.current();
    routes.swap(table);
    retireMeters(previous, table, next);
    lastChains = chains;
    lastUpstreams = upstreams;
    lastRejected = List.copyOf(rejected);
    built = next;
    served = config;
    LOG.debug("configuration applied: {} services ({} unchanged), {} routes, {} plugins, {} rejected",
        upstreams.size(), reused, table.size(), plugins.size(), rejected.size());
    return rejected;
  }

  /**
   * Patches the table served instead of building it (issue 19: a change costs what it changes): the routes
   * named in {@code removed} go, {@code upserted} are built and put in, and everything else is shared with the
   * table served. The caller vouches that the services and plugins are those of the last build, that no other
   * route changed, that an upserted route of a name served keeps its place in the configuration and that a
   * new one comes after every route; the table then matches as {@link #apply} of {@code config} would
   * (RouteBuildEquivalenceTest). Answers the rejections as {@link #apply} does, or null, having changed
   * nothing, when the patch would not be exact (a touched route was or would be refused, no build yet): the
   * caller then applies the whole configuration.
   */
  public synchronized List<Rejection> patch(GatewayConfig config, java.util.Collection<String> removed,
                                            List<RouteDef> upserted) {
    if (lastChains == null || served == null) {
      return null;
    }
    java.util.Set<String> touched = new java.util.HashSet<>(removed);
    upserted.forEach(r -> touched.add(r.name()));
    for (Rejection r : lastRejected) {
      if (r.type() == EntityType.ROUTE && touched.contains(r.name())) {
        return null;
      }
    }
    ChainBuilder chains = lastChains;
    Map<String, Upstream> upstreams = lastUpstreams;
    List<Rejection> refused = new ArrayList<>();
    RouteTable previous = routes.current();
    RouteTable table = previous.patch(removed, upserted, upstreams, registry, route -> chains.chainFor(route,
        upstreams.containsKey(route.service()) ? upstreams.get(route.service()).tenant() : null), (route, reason) ->
        refused.add(new Rejection(EntityType.ROUTE, null, route.name(), reason, 0, false)));
    if (!refused.isEmpty()) {
      return null;
    }
    routes.swap(table);
    for (String name : touched) {
      Route before = previous.route(name);
      Route now = table.route(name);
      if (before != null && before != now) {
        before.meters().retire(registry, now == null ? null : now.meters());
      }
    }
    served = config;
    return lastRejected;
  }

  /**
   * Takes out of the registry the series of routes and targets that are gone (deleted, renamed, moved to
   * another service), so that route churn does not grow the registry and /metrics without bound. Requests
   * still in flight on the old table record into meters no longer exported, which loses nothing that lasts.
   */
  private void retireMeters(RouteTable previous, RouteTable now, Map<ServiceDef, Upstream> next) {
    for (Route r : previous.routes()) {
      Route successor = now.route(r.name());
      if (successor != r) {
        r.meters().retire(registry, successor == null ? null : successor.meters());
      }
    }
    java.util.Set<String> live = new java.util.HashSet<>();
    for (Upstream u : next.values()) {
      for (Target t : u.targets()) {
        live.add(t.meters().series());
      }
    }
    for (Upstream u : built.values()) {
      if (!next.containsValue(u)) {
        for (Target t : u.targets()) {
          if (!live.contains(t.meters().series())) {
            t.meters().retire(registry);
          }
        }
      }
    }
  }

  /**
   * Every plugin's instance; when one does not build, each is tried alone, and one that fails is kept as
   * refused (its routes answer 503, see PluginDef) and reported.
   */
  private ChainBuilder chains(List<PluginDef> plugins, List<Rejection> rejected) {
    PolicyServices shared = services.get();
    try {
      return new ChainBuilder(plugins, shared, lastChains);
    } catch (RuntimeException whole) {
      List<PluginDef> good = new ArrayList<>();
      for (PluginDef p : plugins) {
        try {
          new ChainBuilder(List.of(p), shared, lastChains);
          good.add(p);
        } catch (RuntimeException e) {
          rejected.add(new Rejection(EntityType.PLUGIN, p.id(), p.name(), String.valueOf(e.getMessage()), 0, false));
          good.add(p.refused(String.valueOf(e.getMessage())));
        }
      }
      return new ChainBuilder(good, shared, lastChains);
    }
  }

  /** The table last swapped in by this builder. */
  RouteTable routes() {
    return routes.current();
  }

  /** The plugins' instances of the last build (null before the first): tests tell instances apart with it. */
  synchronized ChainBuilder chains() {
    return lastChains;
  }

  /** The configuration the route table was last built from (null before the first). */
  public GatewayConfig served() {
    return served;
  }
}

package io.sluice.policy.registry;

import io.sluice.config.PluginDef;
import io.sluice.config.RouteDef;
import io.sluice.policy.Policy;
import io.sluice.policy.PolicyChain;
import io.sluice.policy.PolicyServices;
import io.sluice.policy.PolicyType;
import io.sluice.policy.Refusal;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Resolves the policy chain of every route once, when the route table is built: each plugin is built into
 * one instance (shared by every route it applies to), then each route gets, per policy name, the instance of
 * its most specific scope and the consumer-scoped ones. A plugin that cannot be built fails the whole build
 * (RouteBuilder then builds plugin by plugin); a plugin the node refused runs as a 503 on its routes.
 *
 * <p>Built from the previous build's builder, a plugin whose definition did not change keeps its instance
 * (and its state), so the routes it applies to keep their chains and a change elsewhere does not touch them.
 * The plugins are indexed by scope: a route's chain costs the plugins that can apply to it, not all of them.
 */
public final class ChainBuilder {

  /**
   * What runs in place of a plugin whose configuration was refused: the route answers 503 until the plugin is
   * fixed or removed, rather than running without it (the reason is in /cluster, not told to clients).
   */
  private static final Policy REFUSED = call -> Future.failedFuture(new Refusal(503, "route_unavailable",
      "this route is unavailable: the configuration of one of its plugins was refused"));

  private final Map<String, Policy> instances = new HashMap<>();
  /** Each plugin's definition by id (what the next builder compares with). */
  private final Map<String, PluginDef> defs = new HashMap<>();
  private final PolicyServices services;
  private final List<PluginDef> global = new ArrayList<>();
  private final Map<String, List<PluginDef>> byService = new HashMap<>();
  private final Map<String, List<PluginDef>> byRoute = new HashMap<>();
  private final List<PluginDef> consumerScoped = new ArrayList<>();

  public ChainBuilder(List<PluginDef> plugins, PolicyServices services) {
    this(plugins, services, null);
  }

  /** {@code previous}: the builder of the previous build (null: none), whose unchanged instances are kept. */
  public ChainBuilder(List<PluginDef> plugins, PolicyServices services, ChainBuilder previous) {
    this.services = services;
    boolean reuse = previous != null && previous.services == services;
    for (PluginDef p : plugins) {
      defs.put(p.id(), p);
      switch (p.scope()) {
        case "global" -> global.add(p);
        case "service" -> byService.computeIfAbsent(p.service(), k -> new ArrayList<>()).add(p);
        case "route" -> byRoute.computeIfAbsent(p.route(), k -> new ArrayList<>()).add(p);
        case "consumer" -> consumerScoped.add(p);
        default -> { }
      }
      if (p.refusal() != null) {
        instances.put(p.id(), REFUSED);
        continue;
      }
      if (reuse && p.equals(previous.defs.get(p.id()))) {
        instances.put(p.id(), previous.instances.get(p.id()));
        continue;
      }
      PolicyType type = Policies.type(p.name());
      if (type == null) {
        throw new IllegalArgumentException("plugin " + p.id() + ": unknown policy '" + p.name() + "'");
      }
      instances.put(p.id(), type.factory().create(p, services));
    }
  }

  /** Each plugin's instance by plugin id (what the chains run; tests tell instances apart with it). */
  public Map<String, Policy> instances() {
    return java.util.Collections.unmodifiableMap(instances);
  }

  /** The chain of {@code route} in the default tenant (tests). */
  public PolicyChain chainFor(RouteDef route) {
    return chainFor(route, null);
  }

  /**
   * The chain of {@code route} (served by service {@code route.service()}, of tenant {@code tenant}; null:
   * the default one), or null when it has no policy. Global plugins run on every tenant's routes; the
   * consumers they identify are those of the route's tenant.
   */
  public PolicyChain chainFor(RouteDef route, String tenant) {
    if (global.isEmpty() && consumerScoped.isEmpty() && !byService.containsKey(route.service())
        && !byRoute.containsKey(route.name())) {
      return null;  // no plugin applies (most routes of a big table): nothing to allocate
    }
    Map<String, PluginDef[]> byName = new LinkedHashMap<>(); // [global, service, route]
    Map<String, Map<String, Policy>> consumers = new HashMap<>();
    // Within one level a later plugin of the same name wins, as in the list: each index keeps list order.
    place(byName, global, 0);
    place(byName, byService.getOrDefault(route.service(), List.of()), 1);
    place(byName, byRoute.getOrDefault(route.name(), List.of()), 2);
    for (PluginDef p : consumerScoped) {
      consumers.computeIfAbsent(p.name(), k -> new HashMap<>()).put(p.consumer(), instances.get(p.id()));
      byName.computeIfAbsent(p.name(), k -> new PluginDef[3]);
    }
    if (byName.isEmpty()) {
      return null;
    }
    List<PolicyChain.Slot> slots = new ArrayList<>();
    byName.forEach((name, levels) -> {
      PluginDef chosen = levels[2] != null ? levels[2] : levels[1] != null ? levels[1] : levels[0];
      PolicyType type = Policies.type(name);
      // A refused plugin of an unknown policy has no priority: it runs first, and refuses.
      slots.add(new PolicyChain.Slot(name, type == null ? Integer.MAX_VALUE : type.priority(),
          chosen == null ? null : instances.get(chosen.id()), Map.copyOf(consumers.getOrDefault(name, Map.of()))));
    });
    slots.sort(Comparator.comparingInt(PolicyChain.Slot::priority).reversed()
        .thenComparing(PolicyChain.Slot::name));
    return new PolicyChain(slots, tenant);
  }

  private static void place(Map<String, PluginDef[]> byName, List<PluginDef> plugins, int level) {
    for (PluginDef p : plugins) {
      byName.computeIfAbsent(p.name(), k -> new PluginDef[3])[level] = p;
    }
  }
}

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
 */
public final class ChainBuilder {

  /**
   * What runs in place of a plugin whose configuration was refused: the route answers 503 until the plugin is
   * fixed or removed, rather than running without it (the reason is in /cluster, not told to clients).
   */
  private static final Policy REFUSED = call -> Future.failedFuture(new Refusal(503, "route_unavailable",
      "this route is unavailable: the configuration of one of its plugins was refused"));

  private final Map<String, Policy> instances = new HashMap<>();
  private final List<PluginDef> plugins;

  public ChainBuilder(List<PluginDef> plugins, PolicyServices services) {
    this.plugins = List.copyOf(plugins);
    for (PluginDef p : plugins) {
      if (p.refusal() != null) {
        instances.put(p.id(), REFUSED);
        continue;
      }
      PolicyType type = Policies.type(p.name());
      if (type == null) {
        throw new IllegalArgumentException("plugin " + p.id() + ": unknown policy '" + p.name() + "'");
      }
      instances.put(p.id(), type.factory().create(p, services));
    }
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
    Map<String, PluginDef[]> byName = new LinkedHashMap<>(); // [global, service, route]
    Map<String, Map<String, Policy>> consumers = new HashMap<>();
    for (PluginDef p : plugins) {
      int level;
      switch (p.scope()) {
        case "global" -> level = 0;
        case "service" -> level = route.service().equals(p.service()) ? 1 : -1;
        case "route" -> level = route.name().equals(p.route()) ? 2 : -1;
        case "consumer" -> {
          consumers.computeIfAbsent(p.name(), k -> new HashMap<>()).put(p.consumer(), instances.get(p.id()));
          byName.computeIfAbsent(p.name(), k -> new PluginDef[3]);
          continue;
        }
        default -> level = -1;
      }
      if (level >= 0) {
        byName.computeIfAbsent(p.name(), k -> new PluginDef[3])[level] = p;
      }
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
}

package io.sluice.sync;

import static io.sluice.sync.EntityChecks.refuse;
import static io.sluice.sync.EntityChecks.rejection;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.sluice.sync.EntityChecks.Checked;
import io.sluice.sync.EntityChecks.Memo;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Turns the entities a node holds (services, routes and plugins as the change reader projects them) into
 * the configuration its route table is built from, entity by entity: each is checked on its own as the
 * declarative file would check it, so that one invalid row (written with psql, where PostgreSQL cannot tell:
 * a regex Java does not compile, a plugin's configuration) costs only itself and what depends on it (the
 * routes of a rejected service, the plugins of a rejected service or route), never the rest.
 *
 * <p>A rejected entity that this node served before keeps its last good state (a route keeps its old paths,
 * a plugin its old configuration: an authentication plugin does not silently go away); one it never served
 * is left out, except a plugin, which is handed on as refused so that its routes answer 503 (fail closed:
 * leaving out a broken key-auth would open its routes, and leaving out its route would let its requests fall
 * through to a less specific one). Either way it is reported, with the version that wrote the refused state. Not thread-safe:
 * the applier runs one assembly at a time.
 *
 * <p>A change costs what it changes (issue 19): what the check made of an entity (its definition or its
 * rejection) is kept while the node holds that very state (the same object: the applier replaces an entity's
 * object only when it changed) and what it depended on (a route's service name, a plugin's service and route
 * names) is the same, so an assembly re-checks only the entities that changed; {@link #forget} (the full
 * reload) checks everything again. Memoized or not, the result is the same (AssemblyMemoTest).
 */
final class Assembly {

  /** When an entity changed last (the version that wrote its state). */
  static long changedIn(JsonObject entity) {
    return EntityChecks.changedIn(entity);
  }

  /** What to build, what was refused, and each route's and service's key by name (for the builder's refusals). */
  record Result(GatewayConfig config, List<PluginDef> plugins, List<Rejection> rejected,
                Map<String, Held> servicesByName, Map<String, Held> routesByName, Map<String, Held> pluginsById,
                Map<String, String> tenantIds) {}

  /** An entity that is in the configuration: its key and the version that wrote it. */
  record Held(EntityKey key, long version) {}

  /**
   * What the last assembly made beyond its result, for {@link AssemblyPatch}: the services and routes by id
   * (accepted by name, refused by rejection), the names refused routes want (their own, and that of the last good
   * state they would have kept, had another route not held its name), the routes that plugins name, the routes
   * refused or kept at their last good state, and the highest creation order of a route held.
   */
  record Last(Result result, Map<UUID, String> goodServices, Map<UUID, String> goodRoutes,
              Map<UUID, Rejection> badRoutes, java.util.Set<String> refusedNames, java.util.Set<UUID> pluginRoutes,
              java.util.Set<String> rejectedRoutes, long maxRouteSeq) {}

  private Last last;

  private final EntityChecks checks;
  private final boolean memoize;

  Assembly() {
    this(true);
  }

  /** {@code memoize}: false checks every entity at every assembly (what the memo is compared with). */
  Assembly(boolean memoize) {
    this.memoize = memoize;
    this.checks = new EntityChecks(memoize);
  }

  /** Drops every memo: the next assembly checks every entity again (the full reload). */
  void forget() {
    checks.forget();
    last = null;
  }

  /** What the last assembly made (null before one, after {@link #forget}, or when not memoizing). */
  Last last() {
    return last;
  }

  /** Follows a patch of the last assembly (see {@link AssemblyPatch}). */
  void patched(Last now) {
    last = now;
  }

  /** The memo of the state of {@code key} last checked or sorted, or null. */
  EntityChecks.Memo memo(EntityKey key) {
    return checks.memo(key);
  }

  /** Forgets an entity the node no longer holds. */
  void drop(EntityKey key) {
    checks.drop(key);
  }

  /** A route checked as {@link #assemble} checks it, sending to the service named {@code service}. */
  EntityChecks.Checked<RouteDef> checkRoute(EntityKey key, JsonObject entity, String service) {
    return checks.check(key, entity, service, e -> {
      ObjectNode def = EntityChecks.def(e);
      def.put("service", service);
      return DeclarativeConfig.route(def);
    });
  }

  Result assemble(Map<EntityKey, JsonObject> entities) {
    checks.retain(entities.keySet());
    Map<EntityType, List<Map.Entry<EntityKey, Memo>>> byType = checks.sorted(entities);
    List<Rejection> rejected = new ArrayList<>();
    Map<UUID, String> goodServices = new HashMap<>();
    Map<UUID, Rejection> badServices = new HashMap<>();
    Map<String, Held> servicesByName = new HashMap<>();
    List<ServiceDef> services = new ArrayList<>();
    Map<String, String> tenantIds = new HashMap<>();
    for (Map.Entry<EntityKey, JsonObject> e : of(byType, EntityType.SERVICE)) {
      Checked<ServiceDef> c = checks.check(e.getKey(), e.getValue(), null,
          entity -> DeclarativeConfig.service(EntityChecks.def(entity)));
      if (c.value() != null && servicesByName.containsKey(c.value().name())) {
        c = refuse(c, e.getKey(), e.getValue(), "name '" + c.value().name() + "' is taken by another service");
      }
      if (c.value() != null) {
        services.add(c.value());
        String tenantId = e.getValue().getString("tenant_id");
        if (tenantId != null) {
          tenantIds.put(c.value().name(), tenantId);
        }
        goodServices.put(e.getKey().id(), c.value().name());
        servicesByName.put(c.value().name(), new Held(e.getKey(), changedIn(e.getValue())));
      } else {
        badServices.put(e.getKey().id(), c.rejection());
      }
      if (c.rejection() != null) {
        rejected.add(c.rejection());
      }
    }
    Map<UUID, String> goodRoutes = new HashMap<>();
    Map<UUID, Rejection> badRoutes = new HashMap<>();
    java.util.Set<String> refusedNames = new java.util.HashSet<>();
    Map<String, Held> routesByName = new HashMap<>();
    List<RouteDef> routes = new ArrayList<>();
    // The names the route rows hold now: a last good state kept under a name its row no longer holds yields it.
    java.util.Set<String> rowNames = new java.util.HashSet<>();
    for (Map.Entry<EntityKey, Memo> m : byType.getOrDefault(EntityType.ROUTE, List.of())) {
      rowNames.add(rowName(m.getValue().entity));
    }
    for (Map.Entry<EntityKey, Memo> m : byType.getOrDefault(EntityType.ROUTE, List.of())) {
      Map.Entry<EntityKey, JsonObject> e = Map.entry(m.getKey(), m.getValue().entity);
      UUID serviceId = m.getValue().serviceId();
      Rejection cause = badServices.get(serviceId);
      Checked<RouteDef> c;
      if (cause != null) {
        c = Checked.refused(rejection(e.getKey(), e.getValue(), "its service '" + cause.name() + "' is rejected", false)
            .atLeast(cause.version()));
      } else if (!goodServices.containsKey(serviceId)) {
        continue;  // its service is not known (yet): the route cannot be served
      } else {
        c = checkRoute(e.getKey(), e.getValue(), goodServices.get(serviceId));
        if (c.value() != null && c.rejection() != null && !c.value().name().equals(rowName(e.getValue()))
            && rowNames.contains(c.value().name())) {
          // Kept under its old name (renamed with psql to a state refused), which another row holds now: the
          // database gave that name away, so the kept state is left out rather than refuse the row that has it.
          refusedNames.add(c.value().name());
          c = refuse(c, e.getKey(), e.getValue(), "its last good state's name '" + c.value().name()
              + "' is another route's now");
        } else if (c.value() != null && routesByName.containsKey(c.value().name())) {
          refusedNames.add(c.value().name());  // maybe a kept state's name: freed, it would be served again
          c = refuse(c, e.getKey(), e.getValue(), "name '" + c.value().name() + "' is taken by another route");
        }
      }
      if (c.value() != null) {
        routes.add(c.value());
        goodRoutes.put(e.getKey().id(), c.value().name());
        routesByName.put(c.value().name(), new Held(e.getKey(), changedIn(e.getValue())));
      } else {
        badRoutes.put(e.getKey().id(), c.rejection());
        refusedNames.add(c.rejection().name());
      }
      if (c.rejection() != null) {
        rejected.add(c.rejection());
      }
    }
    List<PluginDef> plugins = new ArrayList<>();
    Map<String, Held> pluginsById = new HashMap<>();
    java.util.Set<UUID> pluginRoutes = new java.util.HashSet<>();
    for (Map.Entry<EntityKey, JsonObject> e : of(byType, EntityType.PLUGIN)) {
      JsonObject p = e.getValue();
      if (p.getString("route_id") != null) {
        pluginRoutes.add(UUID.fromString(p.getString("route_id")));
      }
      Rejection cause = null;
      String service = null;
      String route = null;
      if (p.getString("service_id") != null) {
        UUID id = UUID.fromString(p.getString("service_id"));
        cause = badServices.get(id);
        service = goodServices.get(id);
        if (cause == null && service == null) {
          continue;  // its service is not known (yet)
        }
      }
      if (p.getString("route_id") != null) {
        UUID id = UUID.fromString(p.getString("route_id"));
        cause = badRoutes.get(id);
        route = goodRoutes.get(id);
        if (cause == null && route == null) {
          continue;
        }
      }
      if (!p.getBoolean("enabled", true)) {
        continue;  // off: nothing to build, nothing to refuse
      }
      Checked<PluginDef> c;
      if (cause != null) {
        c = Checked.refused(rejection(e.getKey(), p, "its " + cause.type().noun() + " '" + cause.name()
            + "' is rejected", false).atLeast(cause.version()));
      } else {
        String s = service;
        String r = route;
        c = checks.check(e.getKey(), p, java.util.Arrays.asList(s, r), entity -> EntityChecks.plugin(entity, s, r));
      }
      if (c.value() != null) {
        plugins.add(c.value());
        pluginsById.put(c.value().id(), new Held(e.getKey(), changedIn(p)));
      } else if (cause == null) {
        // Never served here and refused now: its routes answer 503 rather than run without it (fail closed).
        plugins.add(new PluginDef(p.getString("id"), p.getString("name"), p.getString("scope"), service, route,
            p.getString("consumer_id"), null, c.rejection().reason()));
        pluginsById.put(p.getString("id"), new Held(e.getKey(), changedIn(p)));
      }
      if (c.rejection() != null) {
        rejected.add(c.rejection());
      }
    }
    Result result = new Result(new GatewayConfig(1, services, routes), plugins, rejected, servicesByName,
        routesByName, pluginsById, tenantIds);
    if (memoize) {
      List<Map.Entry<EntityKey, Memo>> held = byType.getOrDefault(EntityType.ROUTE, List.of());
      java.util.Set<String> rejectedRoutes = new java.util.HashSet<>();
      rejected.stream().filter(r -> r.type() == EntityType.ROUTE).forEach(r -> rejectedRoutes.add(r.id()));
      last = new Last(result, goodServices, goodRoutes, badRoutes, refusedNames, pluginRoutes, rejectedRoutes,
          held.isEmpty() ? Long.MIN_VALUE : held.get(held.size() - 1).getValue().seq);
    }
    return result;
  }

  /** The name a route's row holds now (whatever state of it is served). */
  private static String rowName(JsonObject route) {
    return route.getJsonObject("def", new JsonObject()).getString("name");
  }

  private static List<Map.Entry<EntityKey, JsonObject>> of(Map<EntityType, List<Map.Entry<EntityKey, Memo>>> byType,
                                                           EntityType type) {
    return byType.getOrDefault(type, List.of()).stream()
        .map(e -> Map.entry(e.getKey(), e.getValue().entity)).toList();
  }
}

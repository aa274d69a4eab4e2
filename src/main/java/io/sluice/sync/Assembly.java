package io.sluice.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.ConfigException;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.PolicySchemas;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

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

  private static final ObjectMapper JSON = new ObjectMapper();

  /** What to build, what was refused, and each route's and service's key by name (for the builder's refusals). */
  record Result(GatewayConfig config, List<PluginDef> plugins, List<Rejection> rejected,
                Map<String, Held> servicesByName, Map<String, Held> routesByName, Map<String, Held> pluginsById,
                Map<String, String> tenantIds) {}

  /** An entity that is in the configuration: its key and the version that wrote it. */
  record Held(EntityKey key, long version) {}

  /** The last state of each entity that was accepted, for an entity whose new state is refused. */
  private final Map<EntityKey, JsonObject> lastGood = new HashMap<>();

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

  /** What was made of one entity's state, valid while the node holds that very object. */
  static final class Memo {
    final JsonObject entity;
    final long seq;
    /** What the check depended on beyond the entity (null until checked). */
    Object context;
    Checked<?> checked;

    private UUID serviceId;

    Memo(JsonObject entity) {
      this.entity = entity;
      this.seq = entity.getLong("seq", 0L);
    }

    /** A route's service id, read once per state. */
    UUID serviceId() {
      if (serviceId == null) {
        serviceId = UUID.fromString(entity.getString("service_id"));
      }
      return serviceId;
    }
  }

  private final Map<EntityKey, Memo> memos = new HashMap<>();
  private final boolean memoize;

  Assembly() {
    this(true);
  }

  /** {@code memoize}: false checks every entity at every assembly (what the memo is compared with). */
  Assembly(boolean memoize) {
    this.memoize = memoize;
  }

  /** Drops every memo: the next assembly checks every entity again (the full reload). */
  void forget() {
    memos.clear();
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
  Memo memo(EntityKey key) {
    return memos.get(key);
  }

  /** Forgets an entity the node no longer holds. */
  void drop(EntityKey key) {
    memos.remove(key);
    lastGood.remove(key);
  }

  /** A route checked as {@link #assemble} checks it, sending to the service named {@code service}. */
  Checked<RouteDef> checkRoute(EntityKey key, JsonObject entity, String service) {
    return check(key, entity, service, e -> {
      ObjectNode def = def(e);
      def.put("service", service);
      return DeclarativeConfig.route(def);
    });
  }

  Result assemble(Map<EntityKey, JsonObject> entities) {
    lastGood.keySet().retainAll(entities.keySet());
    memos.keySet().retainAll(entities.keySet());
    Map<EntityType, List<Map.Entry<EntityKey, Memo>>> byType = sorted(entities);
    List<Rejection> rejected = new ArrayList<>();
    Map<UUID, String> goodServices = new HashMap<>();
    Map<UUID, Rejection> badServices = new HashMap<>();
    Map<String, Held> servicesByName = new HashMap<>();
    List<ServiceDef> services = new ArrayList<>();
    Map<String, String> tenantIds = new HashMap<>();
    for (Map.Entry<EntityKey, JsonObject> e : of(byType, EntityType.SERVICE)) {
      Checked<ServiceDef> c = check(e.getKey(), e.getValue(), null, entity -> DeclarativeConfig.service(def(entity)));
      if (c.value != null && servicesByName.containsKey(c.value.name())) {
        c = refuse(c, e.getKey(), e.getValue(), "name '" + c.value.name() + "' is taken by another service");
      }
      if (c.value != null) {
        services.add(c.value);
        String tenantId = e.getValue().getString("tenant_id");
        if (tenantId != null) {
          tenantIds.put(c.value.name(), tenantId);
        }
        goodServices.put(e.getKey().id(), c.value.name());
        servicesByName.put(c.value.name(), new Held(e.getKey(), changedIn(e.getValue())));
      } else {
        badServices.put(e.getKey().id(), c.rejection);
      }
      if (c.rejection != null) {
        rejected.add(c.rejection);
      }
    }
    Map<UUID, String> goodRoutes = new HashMap<>();
    Map<UUID, Rejection> badRoutes = new HashMap<>();
    java.util.Set<String> refusedNames = new java.util.HashSet<>();
    Map<String, Held> routesByName = new HashMap<>();
    List<RouteDef> routes = new ArrayList<>();
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
        if (c.value != null && routesByName.containsKey(c.value.name())) {
          refusedNames.add(c.value.name());  // maybe a kept state's name: freed, it would be served again
          c = refuse(c, e.getKey(), e.getValue(), "name '" + c.value.name() + "' is taken by another route");
        }
      }
      if (c.value != null) {
        routes.add(c.value);
        goodRoutes.put(e.getKey().id(), c.value.name());
        routesByName.put(c.value.name(), new Held(e.getKey(), changedIn(e.getValue())));
      } else {
        badRoutes.put(e.getKey().id(), c.rejection);
        refusedNames.add(c.rejection.name());
      }
      if (c.rejection != null) {
        rejected.add(c.rejection);
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
        c = check(e.getKey(), p, java.util.Arrays.asList(s, r), entity -> plugin(entity, s, r));
      }
      if (c.value != null) {
        plugins.add(c.value);
        pluginsById.put(c.value.id(), new Held(e.getKey(), changedIn(p)));
      } else if (cause == null) {
        // Never served here and refused now: its routes answer 503 rather than run without it (fail closed).
        plugins.add(new PluginDef(p.getString("id"), p.getString("name"), p.getString("scope"), service, route,
            p.getString("consumer_id"), null, c.rejection.reason()));
        pluginsById.put(p.getString("id"), new Held(e.getKey(), changedIn(p)));
      }
      if (c.rejection != null) {
        rejected.add(c.rejection);
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

  /** A plugin whose policy is known and whose configuration fits the policy's schema. */
  private static PluginDef plugin(JsonObject p, String service, String route) {
    JsonNode config = tree(p.getJsonObject("config", new JsonObject()));
    List<FieldError> errors = PolicySchemas.validate(p.getString("name"), config, "");
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return new PluginDef(p.getString("id"), p.getString("name"), p.getString("scope"), service, route,
        p.getString("consumer_id"), config);
  }

  /** The value and, when its state as written was refused, the rejection (value then the last good, or null). */
  record Checked<T>(T value, Rejection rejection) {

    static <T> Checked<T> refused(Rejection r) {
      return new Checked<>(null, r);
    }
  }

  /** Refused after all (a conflict that the entity's own check could not see): nothing is kept. */
  private static <T> Checked<T> refuse(Checked<T> c, EntityKey key, JsonObject entity, String reason) {
    Rejection r = c.rejection;
    return Checked.refused(r == null ? rejection(key, entity, reason, false)
        : new Rejection(r.type(), r.id(), r.name(), r.reason() + "; " + reason, r.version(), false));
  }

  /**
   * The entity checked, from its memo when the node holds the same object and {@code context} (what the
   * check depends on beyond the entity) is equal: the last good state then is what it was at that check too
   * (only this method changes it while the entity is held), so the answer would be the same.
   */
  @SuppressWarnings("unchecked")
  private <T> Checked<T> check(EntityKey key, JsonObject entity, Object context, Function<JsonObject, T> build) {
    Memo m = memos.get(key);
    if (m != null && m.entity == entity && m.checked != null && java.util.Objects.equals(m.context, context)) {
      return (Checked<T>) m.checked;
    }
    Checked<T> c = checkAnew(key, entity, build);
    if (memoize) {
      Memo fresh = m != null && m.entity == entity ? m : new Memo(entity);
      fresh.context = context;
      fresh.checked = c;
      memos.put(key, fresh);
    }
    return c;
  }

  private <T> Checked<T> checkAnew(EntityKey key, JsonObject entity, Function<JsonObject, T> build) {
    try {
      T value = build.apply(entity);
      lastGood.put(key, entity);
      return new Checked<>(value, null);
    } catch (ConfigException | IllegalArgumentException e) {
      String reason = e instanceof ConfigException c ? c.errors().stream().map(FieldError::toString)
          .collect(Collectors.joining("; ")) : e.getMessage();
      JsonObject last = lastGood.get(key);
      T kept = null;
      if (last != null) {
        try {
          kept = build.apply(last);
        } catch (ConfigException | IllegalArgumentException ignored) {
          lastGood.remove(key);
        }
      }
      return new Checked<>(kept, rejection(key, entity, reason, kept != null));
    }
  }

  private static Rejection rejection(EntityKey key, JsonObject entity, String reason, boolean kept) {
    String name = key.type() == EntityType.PLUGIN ? entity.getString("name")
        : entity.getJsonObject("def", new JsonObject()).getString("name");
    return new Rejection(key.type(), key.id().toString(), name, reason, changedIn(entity), kept);
  }

  static long changedIn(JsonObject entity) {
    return entity.getLong("changed_in", 0L);
  }

  /**
   * The entities by type, each type in creation order (ties by id, so every node orders them alike); the
   * order key is read once per state of an entity (its memo).
   */
  private Map<EntityType, List<Map.Entry<EntityKey, Memo>>> sorted(Map<EntityKey, JsonObject> entities) {
    Map<EntityType, List<Map.Entry<EntityKey, Memo>>> byType = new java.util.EnumMap<>(EntityType.class);
    for (Map.Entry<EntityKey, JsonObject> e : entities.entrySet()) {
      EntityType type = e.getKey().type();
      if (type != EntityType.SERVICE && type != EntityType.ROUTE && type != EntityType.PLUGIN) {
        continue;
      }
      Memo m = memos.get(e.getKey());
      if (m == null || m.entity != e.getValue()) {
        m = new Memo(e.getValue());
        if (memoize) {
          memos.put(e.getKey(), m);
        }
      }
      byType.computeIfAbsent(type, k -> new ArrayList<>()).add(Map.entry(e.getKey(), m));
    }
    Comparator<Map.Entry<EntityKey, Memo>> order = Comparator.<Map.Entry<EntityKey, Memo>>comparingLong(
        e -> e.getValue().seq).thenComparing(e -> e.getKey().id());
    byType.values().forEach(list -> list.sort(order));
    return byType;
  }

  private static List<Map.Entry<EntityKey, JsonObject>> of(Map<EntityType, List<Map.Entry<EntityKey, Memo>>> byType,
                                                           EntityType type) {
    return byType.getOrDefault(type, List.of()).stream()
        .map(e -> Map.entry(e.getKey(), e.getValue().entity)).toList();
  }

  private static ObjectNode def(JsonObject entity) {
    JsonObject def = entity.getJsonObject("def");
    if (def == null) {
      throw new IllegalArgumentException("no definition");
    }
    return (ObjectNode) tree(def);
  }

  private static JsonNode tree(JsonObject o) {
    try {
      return JSON.readTree(o.encode());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

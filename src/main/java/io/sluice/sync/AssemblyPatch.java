package io.sluice.sync;

import io.sluice.config.EntityKey;
import io.sluice.config.GatewayConfig;
import io.sluice.config.RouteDef;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The last {@link Assembly} patched for a change of routes alone, so that one route changed costs that route
 * and not a pass over every entity held (issue 19). A patch is made only where it answers exactly as a whole
 * assembly would (AssemblyPatchTest): only routes changed (certificates and SNIs aside), each of a service
 * accepted, none refused before or now, none named by a plugin, none renamed, none freeing a name that a
 * refused route wanted, a new route after every route held in creation order, and no two routes wanting one
 * name. Otherwise the answer is null and the caller assembles everything; a patch refused half-way leaves
 * nothing the whole assembly would not redo (its memos hold the states checked).
 */
final class AssemblyPatch {

  /** The patched assembly, and what changed in the route table: the route names gone, the routes built. */
  record Patch(Assembly.Result result, Set<String> removed, List<RouteDef> upserted) {}

  /** A route that changed: its key, its state now (null: deleted), what it was and what it becomes. */
  private record Step(EntityKey key, JsonObject entity, long seq, String oldName, RouteDef oldDef, RouteDef def) {}

  private AssemblyPatch() {}

  /** {@code changed}: the keys whose state in {@code held} changed since the last assembly. */
  static Patch patch(Assembly assembly, Collection<EntityKey> changed, Map<EntityKey, JsonObject> held) {
    Assembly.Last last = assembly.last();
    if (last == null) {
      return null;
    }
    Set<EntityKey> routes = new LinkedHashSet<>();
    for (EntityKey k : changed) {
      switch (k.type()) {
        case ROUTE -> routes.add(k);
        case SERVICE, PLUGIN -> {
          return null;
        }
        default -> { }  // held, but not part of the route table (certificates, SNIs)
      }
    }
    Set<String> refusedNames = last.refusedNames();
    List<Step> steps = new ArrayList<>();
    for (EntityKey k : routes) {
      UUID id = k.id();
      if (last.badRoutes().containsKey(id) || last.rejectedRoutes().contains(id.toString())
          || last.pluginRoutes().contains(id)) {
        return null;
      }
      EntityChecks.Memo old = assembly.memo(k);
      String oldName = last.goodRoutes().get(id);
      RouteDef oldDef = null;
      if (oldName != null) {
        if (old == null || old.checked == null || !(old.checked.value() instanceof RouteDef d)) {
          return null;
        }
        oldDef = d;
      }
      JsonObject now = held.get(k);
      if (now == null) {
        if (oldName != null && refusedNames.contains(oldName)) {
          return null;  // the name it frees may make a refused route good
        }
        steps.add(new Step(k, null, 0, oldName, oldDef, null));
        continue;
      }
      if (old != null && old.entity == now) {
        continue;
      }
      long seq = now.getLong("seq", 0L);
      String service;
      try {
        service = last.goodServices().get(UUID.fromString(now.getString("service_id")));
      } catch (RuntimeException e) {
        return null;
      }
      if (service == null || (oldName != null ? seq != old.seq : seq <= last.maxRouteSeq())) {
        return null;  // its service is refused or unknown, or its place in the order moves
      }
      EntityChecks.Checked<RouteDef> c = assembly.checkRoute(k, now, service);
      if (c.rejection() != null || c.value() == null || (oldName != null && !oldName.equals(c.value().name()))) {
        return null;
      }
      steps.add(new Step(k, now, seq, oldName, oldDef, c.value()));
    }
    Map<String, Assembly.Held> byName = last.result().routesByName();
    Set<String> removed = new HashSet<>();
    steps.stream().filter(s -> s.def == null && s.oldName != null).forEach(s -> removed.add(s.oldName));
    Set<String> added = new HashSet<>();
    for (Step s : steps) {
      if (s.def != null && s.oldName == null && ((byName.containsKey(s.def.name()) && !removed.contains(s.def.name()))
          || !added.add(s.def.name()))) {
        return null;  // a name taken: the whole assembly says which route keeps it
      }
    }
    return apply(assembly, last, steps, removed);
  }

  private static Patch apply(Assembly assembly, Assembly.Last last, List<Step> steps, Set<String> removed) {
    Map<String, Assembly.Held> byName = last.result().routesByName();
    List<RouteDef> list = new ArrayList<>(last.result().config().routes());
    List<RouteDef> upserted = new ArrayList<>();
    List<Step> fresh = new ArrayList<>();
    for (Step s : steps) {
      if (s.def == null) {
        assembly.drop(s.key);
        if (s.oldName != null) {
          list.remove(indexOf(list, s.oldDef));
          byName.remove(s.oldName);
          last.goodRoutes().remove(s.key.id());
        }
      } else if (s.oldName != null) {
        list.set(indexOf(list, s.oldDef), s.def);
        byName.put(s.def.name(), new Assembly.Held(s.key, Assembly.changedIn(s.entity)));
        upserted.add(s.def);
      } else {
        fresh.add(s);
      }
    }
    fresh.sort(Comparator.<Step>comparingLong(s -> s.seq).thenComparing(s -> s.key.id()));
    long maxSeq = last.maxRouteSeq();
    for (Step s : fresh) {
      list.add(s.def);
      byName.put(s.def.name(), new Assembly.Held(s.key, Assembly.changedIn(s.entity)));
      last.goodRoutes().put(s.key.id(), s.def.name());
      upserted.add(s.def);
      maxSeq = Math.max(maxSeq, s.seq);
    }
    Assembly.Result was = last.result();
    Assembly.Result now = new Assembly.Result(new GatewayConfig(1, was.config().services(), list), was.plugins(),
        was.rejected(), was.servicesByName(), byName, was.pluginsById(), was.tenantIds());
    assembly.patched(new Assembly.Last(now, last.goodServices(), last.goodRoutes(), last.badRoutes(),
        last.refusedNames(), last.pluginRoutes(), last.rejectedRoutes(), maxSeq));
    return new Patch(now, removed, upserted);
  }

  /** Where {@code def} (that very object) is in {@code list}. */
  private static int indexOf(List<RouteDef> list, RouteDef def) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == def) {
        return i;
      }
    }
    throw new IllegalStateException("route " + def.name() + " is not in the last assembly");
  }
}

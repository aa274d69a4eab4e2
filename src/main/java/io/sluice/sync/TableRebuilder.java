package io.sluice.sync;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.Rejection;
import io.sluice.metrics.SyncMeters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the route table from the entities a node holds, on a worker, so that a bad entity costs only
 * itself: each entity is checked on its own, the ones refused (and what depends on them) are left out or kept
 * at their last good state, and everything else applies. Keeps the list of entities refused, for /cluster,
 * /health/ready and the {@code sluice_config_rejected_entities} gauge. Apart from {@link ConfigApplier}, which
 * decides when to build (version order, gaps, reloads); this class decides what a build makes of the entities.
 */
final class TableRebuilder {

  /** The applier's logger: these lines kept the category operators already filter on. */
  private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);

  private final Vertx vertx;
  private final SyncMeters meters;
  private final ConfigApplier.Apply apply;
  /** Checks every entity on its own (and remembers each one's last good state). */
  private final Assembly assembly = new Assembly();
  /**
   * The entities held as of the last build: a build gets only what changed since (touched by one build at a
   * time, each on a worker, one after the other).
   */
  private Map<EntityKey, JsonObject> held = new HashMap<>();
  /** The entities the route table was last built without (or with their last good state). */
  private volatile List<Rejection> rejected = List.of();

  TableRebuilder(Vertx vertx, SyncMeters meters, ConfigApplier.Apply apply) {
    this.vertx = vertx;
    this.meters = meters;
    this.apply = apply;
  }

  /** The entities the last build did not apply as written (empty when all applied). */
  List<Rejection> rejected() {
    return rejected;
  }

  /**
   * Rebuilds the route table on a worker, one build at a time. Only a build that fails as a whole (which
   * per-entity checks should make impossible) keeps the previous table. {@code full}: {@code entities} is
   * every entity held, and each is checked and built anew (the reload paths); otherwise {@code entities} is
   * what changed since the last build (null: deleted), only that is checked and built again, and a change of
   * routes alone patches the assembly and the table served instead of passing over every entity.
   */
  Future<Void> rebuild(Map<EntityKey, JsonObject> entities, boolean full) {
    return vertx.executeBlocking(() -> {
      long started = System.nanoTime();
      try {
        if (full) {
          held = new HashMap<>(entities);
        } else {
          entities.forEach((k, v) -> {
            if (v == null) {
              held.remove(k);
            } else {
              held.put(k, v);
            }
          });
        }
        if (full || !patched(entities.keySet())) {
          build(held, full);
        }
      } finally {
        meters.built(System.nanoTime() - started);
      }
      return null;
    }, false);
  }

  private void build(Map<EntityKey, JsonObject> held, boolean full) {
    if (full) {
      assembly.forget();
    }
    Assembly.Result a = assembly.assemble(held);
    List<Rejection> all = new ArrayList<>(a.rejected());
    try {
      for (Rejection r : apply.apply(a.config(), a.plugins(), a.tenantIds(), full)) {
        all.add(identify(r, a));
      }
    } catch (RuntimeException e) {
      meters.applyFailed();
      LOG.error("configuration does not build; the previous route table keeps serving: {}", e.toString());
      return;
    }
    report(all);
  }

  /** Patches the assembly and the table for a change of routes alone; false when only a build is exact. */
  private boolean patched(Set<EntityKey> changed) {
    AssemblyPatch.Patch p = AssemblyPatch.patch(assembly, changed, held);
    if (p == null) {
      return false;
    }
    List<Rejection> refused;
    try {
      refused = apply.patch(p.result().config(), p.removed(), p.upserted());
    } catch (RuntimeException e) {
      LOG.warn("configuration: the route table could not be patched, building it: {}", e.toString());
      return false;
    }
    if (refused == null) {
      return false;
    }
    List<Rejection> all = new ArrayList<>(p.result().rejected());
    for (Rejection r : refused) {
      all.add(identify(r, p.result()));
    }
    report(all);
    return true;
  }

  /** A refusal of the route builder (services and routes by name, plugins by id) with its id and version. */
  private static Rejection identify(Rejection r, Assembly.Result a) {
    Assembly.Held h = switch (r.type()) {
      case SERVICE -> a.servicesByName().get(r.name());
      case ROUTE -> a.routesByName().get(r.name());
      default -> a.pluginsById().get(r.id());
    };
    return h == null ? r : new Rejection(r.type(), h.key().id().toString(), r.name(), r.reason(), h.version(), false);
  }

  private void report(List<Rejection> all) {
    Set<Rejection> before = new HashSet<>(rejected);
    for (Rejection r : all) {
      if (!before.contains(r)) {
        LOG.warn("configuration: {} {} ({}) rejected, {}: {}", r.type().noun(), r.name(), r.id(),
            r.kept() ? "its last good state keeps serving"
                : r.type() == EntityType.PLUGIN ? "its routes answer 503 until it is fixed" : "left out with what depends on it", r.reason());
      }
    }
    if (all.isEmpty() && !before.isEmpty()) {
      LOG.info("configuration: every entity applies again");
    }
    rejected = List.copyOf(all);
    meters.rejected(all);
  }
}

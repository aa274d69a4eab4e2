package io.sluice.sync;

import io.sluice.bus.Addresses;
import io.sluice.bus.ConfigChanged;
import io.sluice.config.EntityKey;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.credential.CacheEvictor;
import io.sluice.metrics.SyncMeters;
import io.sluice.store.ChangeReader;
import io.sluice.store.Delta;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every node's side of sync: applies {@link ConfigChanged} events strictly in version order, never one
 * twice. An event is applied when its {@code previous} is the node's applied version; a later one waits
 * while the chain has a gap, and a gap that is not filled within {@value #GAP_MS} ms (an event lost, a
 * node that joined mid-way) is closed by reloading the whole configuration from the cluster maps (never
 * from PostgreSQL). Applying an event re-reads only the entities it names, evicts the consumer-cache keys
 * it names (before the version counts as applied, so {@code ?wait=true} is exact), builds the route table
 * on a worker thread ({@link TableRebuilder}: only what changed is checked and built again; a reload
 * builds it all), swaps it in, and records the version. Events that arrive while a build runs are applied
 * together with one build when it ends, so the build rate is bounded by the build time.
 *
 * <p>An entity that does not build (a row written with psql that breaks the declarative rules where
 * PostgreSQL cannot tell) costs only itself and what depends on it: it is left out, or kept at its last good
 * state, every other change of the version and of later versions applies, and the node reports it
 * ({@link #rejected}, published with its applied version, shown by /cluster, /health/ready and the
 * {@code sluice_config_rejected_entities} gauge).
 */
public final class ConfigApplier {

  /** How long a later event waits for a missing one before the node reloads everything from the maps. */
  static final long GAP_MS = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);

  private final Vertx vertx;
  private final Context context;
  private final ClusterMaps maps;
  private final ClusterStatus status;
  private final SyncMeters meters;
  /** The entities held and what is built from them (the route table, the TLS material). */
  private final HeldEntities held;

  /**
   * Builds and swaps the route table: the configuration, its plugins, each service's tenant id by name, and
   * whether to build it all anew ({@code full}: the reload path) rather than reuse what did not change.
   */
  public interface Apply {
    List<Rejection> apply(GatewayConfig config, List<PluginDef> plugins, java.util.Map<String, String> tenantIds,
                          boolean full);

    /**
     * Patches the table served for a change of routes alone (services and plugins as last applied): the
     * routes named in {@code removed} go, {@code upserted} come in; {@code config} is the whole configuration
     * now. Null, having changed nothing, when only {@link #apply} would be exact.
     */
    default List<Rejection> patch(GatewayConfig config, java.util.Set<String> removed, List<RouteDef> upserted) {
      return null;
    }
  }
  private final long reconcileMs;
  private final Promise<Void> first = Promise.promise();
  /** The versions applied lately. */
  private final RecentVersions history = new RecentVersions();

  // Touched only on context.
  private final TreeMap<Long, ConfigChanged> pending = new TreeMap<>();
  private volatile long applied = -1;
  private boolean busy;
  private boolean reloadWanted;
  private long gapTimer = -1;
  /** Keeps the local snapshot (coalesced, on a worker, its cost bounded). */
  private final SnapshotKeeper snapshots;
  /** Serving the local snapshot read at start, not yet anything from the cluster (stale, as far as it knows). */
  private volatile LocalSnapshot.State servingSnapshot;
  /** When to read the configuration from PostgreSQL because the cluster does not deliver it (null: never). */
  private ReadAround around;
  /** The cluster's version went back (a database restored from an older backup): what the reloads keep. */
  private final VersionRegression regression = new VersionRegression();
  /**
   * The cluster maps lost entries (members left with every copy of some partitions, or this member woke alone after
   * a pause): they no longer hold the whole configuration, and nothing is reloaded from them until a sync leader has
   * rewritten them whole (its full event) or this member merged back into the rest of its cluster.
   */
  private boolean mapsLost;
  /** The version PostgreSQL held when this node's session last read it (-1: not read yet). */
  private long storeSeen = -1;
  /** When (System.nanoTime) PostgreSQL was last read, and when this node last applied a version. */
  private long storeSeenNanos;
  private long appliedNanos;

  public ConfigApplier(Vertx vertx, ClusterMaps maps, ClusterStatus status, SyncMeters meters, CacheEvictor cache,
                       Apply apply, long reconcileMs, LocalSnapshot snapshot) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.maps = maps;
    this.status = status;
    this.meters = meters;
    this.held = new HeldEntities(vertx, maps, meters, cache, apply);
    this.reconcileMs = reconcileMs;
    this.snapshots = new SnapshotKeeper(vertx, snapshot, () -> applied, held::copy);
  }

  /**
   * Serves {@code state} (the local snapshot, read because PostgreSQL is unreachable at start) at once, then
   * follows the cluster as {@link #start} does; the first configuration the cluster publishes replaces it,
   * even one of the same or a lower version (a restored database).
   */
  public Future<Void> startFrom(LocalSnapshot.State state) {
    Promise<Void> served = Promise.promise();
    context.runOnContext(v -> {
      servingSnapshot = state;
      meters.servingSnapshotOf(state.writtenAtMillis());
      busy = true;
      held.serve(state.entities()).onComplete(ar -> {
        busy = false;
        applied(state.version(), List.of());
        served.handle(ar);
      });
    });
    return served.future().compose(v -> start());
  }

  /** The snapshot this node serves while nothing newer reached it from the cluster, or null. */
  public LocalSnapshot.State servingSnapshot() {
    return servingSnapshot;
  }
  /** Subscribes, then loads what the cluster has; completes once a first configuration is applied. */
  public Future<Void> start() {
    Promise<Void> subscribed = Promise.promise();
    context.runOnContext(v -> {
      vertx.eventBus().<ConfigChanged>consumer(Addresses.CONFIG_CHANGED, m -> onEvent(m.body()))
          .completion().onComplete(subscribed);
      // A lost event costs at most this much latency: the cluster's version is checked now and then. The
      // leader moves that version just before it publishes the event, so a node behind it looks again a
      // little later and reloads (a build of everything) only if the event did not come meanwhile.
      // A version below the applied one, twice GAP_MS apart, is a cluster whose database went back and whose
      // event this node missed (an early event may briefly run ahead of the published version, never for long).
      vertx.setPeriodic(reconcileMs, id -> maps.published().onSuccess(p -> {
        if (p != null && p != applied && pending.isEmpty() && !busy) {
          vertx.setTimer(GAP_MS, t -> maps.published().onSuccess(again -> {
            // Below the applied version while PostgreSQL holds at least that one: the cluster is behind what this
            // node read from PostgreSQL itself (its part has no sync leader), not a database that went back.
            boolean back = again != null && again < applied && p < applied && storeBelowApplied();
            if (again != null && (again > applied || back) && pending.isEmpty() && !busy) {
              reloadWanted = true;
              drain();
            }
          }));
        }
      }));
    });
    return subscribed.future().compose(v -> {
      context.runOnContext(x -> {
        reloadWanted = true;  // an empty cluster has nothing yet: the leader's first fill arrives as an event
        drain();
      });
      return first.future();
    });
  }

  /** The configuration version this node serves (-1 before the first). */
  public long appliedVersion() {
    return applied;
  }

  /** How long a node stays behind PostgreSQL, its cluster silent, before it reads around it (ms). */
  public static final long READ_AROUND_AFTER_MS = ReadAround.BEHIND_MS;

  /**
   * How long this node has served a version below the one PostgreSQL holds with no event bringing it (0: it has
   * not), and that version: what /health/ready shows until it reads around its cluster. Any thread.
   */
  public long behindStoreMs() {
    return around == null ? 0 : around.behindMs(applied);
  }

  /** The version PostgreSQL held when this node last saw it above its own (-1: never). Any thread. */
  public long storeVersionAhead() {
    return around == null ? -1 : around.ahead();
  }

  /** Reads the configuration around a cluster that does not deliver it (see {@link ReadAround}). Before start. */
  public void readAroundCluster(ChangeReader reader, java.util.function.BooleanSupplier leading) {
    this.around = new ReadAround(reader, leading);
  }

  /** The version PostgreSQL holds, as this node's own session read it (any thread). */
  public void storeVersion(long version) {
    context.runOnContext(v -> {
      storeSeen = version;
      storeSeenNanos = System.nanoTime();
      if (around == null || busy) {
        return;
      }
      boolean regressed = around.regressed(version, applied);
      if (regressed) {
        meters.fullReload("version_regressed");
        regression.storeWentBack(version, applied);
        pending.clear();
      } else if (around.due(version, applied)) {
        LOG.warn("configuration: PostgreSQL holds version {} and this node serves {} with no event from its cluster"
            + " for {} ms (a split cluster whose part has no sync leader?): reading the configuration from"
            + " PostgreSQL", version, applied, around.behindMs());
        meters.fullReload("cluster_behind");
      } else {
        return;
      }
      busy = true;
      around.read(applied).compose(all -> readAround(all, regressed)).onComplete(ar -> {
        busy = false;
        if (ar.failed()) {
          LOG.warn("configuration: reading it from PostgreSQL failed: {}", ar.cause().toString());
        }
        drain();
      });
    });
  }

  /**
   * Serves {@code all} (every held entity as PostgreSQL holds them at its version), read around the cluster; unless
   * {@code regressed}, only when it is newer than what the node applied.
   */
  private Future<Void> readAround(Delta all, boolean regressed) {
    if (all.version() <= applied && !regressed) {
      return Future.succeededFuture();
    }
    Map<EntityKey, JsonObject> read = new HashMap<>();
    all.entries().forEach((k, json) -> {
      if (json != null) {
        read.put(k, new JsonObject(json));
      }
    });
    return held.replace(read).map(v -> {
      LOG.info("configuration read from PostgreSQL at version {}", all.version());
      servingSnapshot = null;
      applied(all.version(), List.of());
      return null;
    });
  }

  private void onEvent(ConfigChanged e) {
    if (around != null) {
      around.event();
    }
    if (e.full() && mapsLost) {
      LOG.info("configuration: the sync leader rewrote the cluster maps whole at version {}; reloading from them"
          + " again", e.version());
      mapsLost = false;
    }
    if (servingSnapshot != null && e.full()) {
      reloadWanted = true;  // whatever its version: the cluster's state replaces the snapshot
      drain();
      return;
    }
    if (regression.event(e, applied)) {
      // The leader found PostgreSQL below what it published: what this node applied is not this database's.
      meters.fullReload("version_regressed");
      pending.clear();
      reloadWanted = true;
      drain();
      return;
    }
    if (e.version() <= regression.floor(applied)) {
      return;
    }
    if (e.full()) {
      reloadWanted = true;
    } else {
      pending.put(e.previous(), e);
    }
    drain();
  }

  private void drain() {
    if (busy) {
      return;
    }
    pending.headMap(applied, false).clear();
    pending.values().removeIf(e -> e.version() <= applied);
    ConfigChanged next = applied < 0 ? null : pending.remove(applied);
    Future<Void> step;
    if (next != null) {
      // Every event already here that continues the chain is applied with it: one rebuild for all of them,
      // so a burst of changes costs one route-table build, not one per change.
      List<ConfigChanged> chain = new ArrayList<>();
      chain.add(next);
      for (ConfigChanged more = pending.remove(next.version()); more != null && !more.full();
           more = pending.remove(more.version())) {
        chain.add(more);
      }
      step = applyChain(chain);
    } else if (reloadWanted) {
      reloadWanted = false;
      step = reload();
    } else {
      if (!pending.isEmpty() && gapTimer < 0) {
        gapTimer = vertx.setTimer(GAP_MS, id -> {
          gapTimer = -1;
          if (!pending.isEmpty() && !pending.containsKey(applied)) {
            LOG.warn("configuration events after version {} missing; reloading from the cluster", applied);
            reloadWanted = true;
            drain();
          }
        });
      }
      return;
    }
    busy = true;
    step.onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("configuration sync step failed at version {}: {}", applied, ar.cause().toString());
        reloadWanted = true;
        vertx.setTimer(200, id -> drain());  // the cluster maps were unreachable: try again shortly
      }
      busy = false;
      if (ar.succeeded()) {
        drain();
      }
    });
  }

  /** Applies consecutive events (each one's previous is the one before's version) with one rebuild. */
  private Future<Void> applyChain(List<ConfigChanged> chain) {
    return held.applyChain(chain).map(v -> {
      servingSnapshot = null;  // the chain goes on from the snapshot's version: the cluster's state now
      List<Long> committedAt = new ArrayList<>();
      chain.forEach(e -> committedAt.addAll(e.committedAtMillis()));
      applied(chain.get(chain.size() - 1).version(), committedAt);
      return null;
    });
  }

  private Future<Void> reload() {
    if (mapsLost) {
      // Part of the configuration is missing from them: never served. A node that needs a reload meanwhile (a gap in
      // the events, the cluster ahead of it) reads PostgreSQL itself, as a node without a leader does (ReadAround);
      // without PostgreSQL, what it serves stays until a leader rewrote the maps whole.
      if (around == null) {
        return Future.succeededFuture();
      }
      meters.fullReload("maps_lost");
      // A failure is not retried at once (PostgreSQL may be down too): the next gap or reconcile asks again.
      return around.read(applied).compose(all -> readAround(all, false)).recover(err -> {
        LOG.warn("configuration: reading it from PostgreSQL failed: {}", err.toString());
        return Future.succeededFuture();
      });
    }
    boolean distrusted = regression.takeDistrust();
    return maps.published().compose(p -> {
      // Below the applied version: the cluster's database went back and this node missed the event that said so
      // (it waited a gap, or the reconcile looked twice); its applied version is not this database's either.
      // Unless PostgreSQL itself holds the applied version: then the cluster is behind what this node read from it.
      boolean back = p != null && p < applied && (distrusted || storeBelowApplied());
      if (p == null || (p <= applied && servingSnapshot == null && !distrusted && !back)) {
        return Future.succeededFuture();
      }
      if (back) {
        if (!distrusted) {
          meters.fullReload("version_regressed");  // the event that said so was missed (counted when it is taken)
        }
        regression.publishedBelow(p, applied, distrusted);
        pending.tailMap(applied, true).clear();  // events after the old version: the old database's
      }
      return maps.all().compose(all -> {
        if (mapsLost) {
          // The loss was reported while they were read (an outside run: read from a part's maps at a merge's split,
          // the report half a second later): what was read may miss entries.
          return Future.failedFuture(new IllegalStateException("the cluster maps lost entries while being read"));
        }
        return held.replace(all);
      }).<Void>map(v -> {
        LOG.info("configuration reloaded from the cluster at version {}", p);
        servingSnapshot = null;
        applied(p, List.of());
        return null;
      });
    }).onFailure(err -> regression.reloadFailed(distrusted));  // tried again (drain)
  }

  /**
   * The cluster maps lost entries (see {@link #mapsLost}): from now on nothing is reloaded from them until a leader
   * rewrote them whole. Any thread.
   */
  public void mapsLostEntries() {
    context.runOnContext(v -> {
      if (!mapsLost) {
        LOG.warn("configuration: the cluster maps lost entries (every copy of some of their partitions was on members"
            + " this one no longer sees): serving version {} as it is, not reloading from the maps until the sync"
            + " leader rewrote them whole; a node without a sync leader in its part of the cluster reads PostgreSQL"
            + " itself", applied);
      }
      mapsLost = true;
    });
  }

  /** This member merged back into its cluster (Hazelcast's MERGED): its maps are the cluster's again. Any thread. */
  public void merged() {
    context.runOnContext(v -> mapsLost = false);
  }

  /**
   * Where the certificates and SNIs go when one of them changed (the proxy's TLS listener): called on a
   * worker with every TLS entity held, before the version counts as applied. Set before {@link #start}.
   */
  public void onTls(Consumer<Map<EntityKey, JsonObject>> listener) {
    held.onTls(listener);
  }

  /** The versions this node applied lately, oldest first: strictly increasing when sync keeps its promise. */
  public List<Long> recentlyApplied() {
    return history.list();
  }

  /**
   * Whether PostgreSQL, read since this node applied its version, holds a lower one: what makes a cluster version
   * below the applied one a database that went back. Otherwise it is a part of the cluster behind this node (a
   * woken node whose part's maps hold an older published version than the event that reached it on waking).
   */
  private boolean storeBelowApplied() {
    return storeSeen >= 0 && storeSeen < applied && storeSeenNanos - appliedNanos > 0;
  }

  private void applied(long version, List<Long> committedAt) {
    applied = version;
    appliedNanos = System.nanoTime();
    if (around != null) {
      around.applied(version);
    }
    regression.applied();
    history.add(version);
    meters.applied(version, System.currentTimeMillis(), committedAt);
    status.applied(version, held.rejected());
    first.tryComplete();
    if (servingSnapshot == null) {
      snapshots.changed();
    }
  }

  /** The entities this node did not apply as written, as of its applied version (empty when all applied). */
  public List<Rejection> rejected() {
    return held.rejected();
  }
}

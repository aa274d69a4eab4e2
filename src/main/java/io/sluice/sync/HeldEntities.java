package io.sluice.sync;

import io.sluice.bus.ConfigChanged;
import io.sluice.config.EntityKey;
import io.sluice.config.Rejection;
import io.sluice.credential.CacheEvictor;
import io.sluice.metrics.SyncMeters;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The entities a node holds (what the route table and the TLS listener are built from) and the builds made from
 * them: {@link ConfigApplier} decides which version comes next, this class takes in a version's entities, evicts the
 * consumer-cache keys its events name, and builds ({@link TableRebuilder}, {@link TlsHandOver}). Touched only on the
 * applier's context.
 */
final class HeldEntities {

  private final ClusterMaps maps;
  private final CacheEvictor cache;
  private final SyncMeters meters;
  /** Builds the route table from the entities held and keeps which ones it refused. */
  private final TableRebuilder tables;
  private final TlsHandOver tls;
  private final Map<EntityKey, JsonObject> entities = new HashMap<>();
  /** The entities changed since the last build (null: deleted): what the next build is handed. */
  private final Map<EntityKey, JsonObject> unbuilt = new HashMap<>();

  HeldEntities(Vertx vertx, ClusterMaps maps, SyncMeters meters, CacheEvictor cache, ConfigApplier.Apply apply) {
    this.maps = maps;
    this.cache = cache;
    this.meters = meters;
    this.tables = new TableRebuilder(vertx, meters, apply);
    this.tls = new TlsHandOver(vertx);
  }

  /** A copy of every entity held (what the local snapshot keeps). */
  Map<EntityKey, JsonObject> copy() {
    return new HashMap<>(entities);
  }

  /** Serves {@code snapshot} (the local snapshot read at start): everything built. */
  Future<Void> serve(Map<EntityKey, JsonObject> snapshot) {
    entities.putAll(snapshot);
    return rebuild(true).compose(x -> rebuildTls());
  }

  /** Holds {@code all} instead of what was held, evicts every cached consumer, and builds everything. */
  Future<Void> replace(Map<EntityKey, JsonObject> all) {
    entities.clear();
    entities.putAll(all);
    cache.evictAll();
    return rebuild(true).compose(v -> rebuildTls());
  }

  /** Applies consecutive events (each one's previous is the one before's version) with one rebuild. */
  Future<Void> applyChain(List<ConfigChanged> chain) {
    List<EntityKey> keys = new ArrayList<>();
    Map<EntityKey, JsonObject> inline = new HashMap<>();
    boolean allInline = true;
    for (ConfigChanged e : chain) {
      List<EntityKey> routing = e.keys().stream().filter(k -> k.type().held()).toList();
      keys.addAll(routing);
      if (e.entities().keySet().containsAll(routing)) {
        // The leader sent the entities along: no read of the maps (a later event's state wins).
        e.entities().forEach((k, json) -> inline.put(k, json == null ? null : new JsonObject(json)));
      } else {
        allInline = false;
      }
    }
    Future<Map<EntityKey, JsonObject>> loaded;
    if (keys.isEmpty()) {
      loaded = Future.succeededFuture(Map.of());
    } else if (allInline) {
      loaded = Future.succeededFuture(inline);
    } else {
      loaded = maps.getAll(keys);  // the maps hold the newest state of each: that of the chain's last version
    }
    return loaded.compose(found -> {
      for (EntityKey k : keys) {
        JsonObject entity = found.get(k);
        if (entity == null) {
          entities.remove(k);
        } else {
          entities.put(k, entity);
        }
        unbuilt.put(k, entity);
      }
      for (ConfigChanged e : chain) {
        if (e.flushCaches()) {
          cache.evictAll();
          meters.cacheFlush(); // on every node, single or clustered: each flushes its own caches
        } else {
          cache.evict(e.cacheKeys());
        }
      }
      boolean routing = keys.stream().anyMatch(k -> k.type().routing());
      boolean tlsChanged = keys.stream().anyMatch(k -> k.type().tls());
      return (routing ? rebuild(false) : Future.<Void>succeededFuture())
          .compose(v -> tlsChanged ? rebuildTls() : Future.<Void>succeededFuture());
    });
  }

  /** Where the certificates and SNIs go when one of them changed (see {@link ConfigApplier#onTls}). */
  void onTls(Consumer<Map<EntityKey, JsonObject>> listener) {
    tls.listener(listener);
  }

  private Future<Void> rebuildTls() {
    return tls.apply(entities);
  }

  /** The entities this node did not apply as written, as of its last build (empty when all applied). */
  List<Rejection> rejected() {
    return tables.rejected();
  }

  /**
   * Rebuilds the route table (see {@link TableRebuilder}): from every entity held ({@code full}), or from
   * those changed since the last build.
   */
  private Future<Void> rebuild(boolean full) {
    Map<EntityKey, JsonObject> handed = new HashMap<>(full ? entities : unbuilt);
    unbuilt.clear();
    return tables.rebuild(handed, full);
  }
}

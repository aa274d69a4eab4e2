package io.sluice.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.bus.Addresses;
import io.sluice.bus.ConfigChanged;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.credential.CacheEvictor;
import io.sluice.metrics.SyncMeters;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every node's side of sync: applies {@link ConfigChanged} events strictly in version order, never one
 * twice. An event is applied when its {@code previous} is the node's applied version; a later one waits
 * while the chain has a gap, and a gap that is not filled within {@value #GAP_MS} ms (an event lost, a
 * node that joined mid-way) is closed by reloading the whole configuration from the cluster maps (never
 * from PostgreSQL). Applying an event re-reads only the entities it names, evicts the consumer-cache keys
 * it names (before the version counts as applied, so {@code ?wait=true} is exact), rebuilds the route
 * table on a worker thread, swaps it in, and records the version.
 *
 * <p>A configuration that does not build (a row written with psql that breaks the declarative rules) is
 * counted and logged; the previous route table keeps serving, and the version still counts as applied so
 * that the next change that fixes it applies.
 */
public final class ConfigApplier {

  /** How long a later event waits for a missing one before the node reloads everything from the maps. */
  static final long GAP_MS = 1_000;

  private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final Context context;
  private final ClusterMaps maps;
  private final ClusterStatus status;
  private final SyncMeters meters;
  private final CacheEvictor cache;
  private final BiConsumer<GatewayConfig, List<PluginDef>> apply;
  private final long reconcileMs;
  private final Promise<Void> first = Promise.promise();
  /** The versions applied lately, in the order they were applied (for operators' debugging and tests). */
  private final java.util.Deque<Long> history = new java.util.concurrent.ConcurrentLinkedDeque<>();
  private static final int HISTORY = 10_000;

  // Touched only on context.
  private final Map<EntityKey, JsonObject> entities = new HashMap<>();
  private final TreeMap<Long, ConfigChanged> pending = new TreeMap<>();
  private volatile long applied = -1;
  private boolean busy;
  private boolean reloadWanted;
  private long gapTimer = -1;

  public ConfigApplier(Vertx vertx, ClusterMaps maps, ClusterStatus status, SyncMeters meters, CacheEvictor cache,
                       BiConsumer<GatewayConfig, List<PluginDef>> apply, long reconcileMs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.maps = maps;
    this.status = status;
    this.meters = meters;
    this.cache = cache;
    this.apply = apply;
    this.reconcileMs = reconcileMs;
  }

  /** Subscribes, then loads what the cluster has; completes once a first configuration is applied. */
  public Future<Void> start() {
    Promise<Void> subscribed = Promise.promise();
    context.runOnContext(v -> {
      vertx.eventBus().<ConfigChanged>consumer(Addresses.CONFIG_CHANGED, m -> onEvent(m.body()))
          .completion().onComplete(subscribed);
      // A lost event costs at most this much latency: the cluster's version is checked now and then.
      vertx.setPeriodic(reconcileMs, id -> maps.published().onSuccess(p -> {
        if (p != null && p > applied && pending.isEmpty() && !busy) {
          reloadWanted = true;
          drain();
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

  private void onEvent(ConfigChanged e) {
    if (e.version() <= applied) {
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
      step = applyDelta(next);
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

  private Future<Void> applyDelta(ConfigChanged e) {
    List<EntityKey> keys = e.keys().stream().filter(k -> k.type().routing()).toList();
    Future<Map<EntityKey, JsonObject>> loaded;
    if (keys.isEmpty()) {
      loaded = Future.succeededFuture(Map.of());
    } else if (e.entities().keySet().containsAll(keys)) {
      // The leader sent the entities along: no read of the maps.
      Map<EntityKey, JsonObject> inline = new HashMap<>();
      e.entities().forEach((k, json) -> {
        if (json != null) {
          inline.put(k, new JsonObject(json));
        }
      });
      loaded = Future.succeededFuture(inline);
    } else {
      loaded = maps.getAll(keys);
    }
    return loaded.compose(found -> {
      for (EntityKey k : keys) {
        JsonObject entity = found.get(k);
        if (entity == null) {
          entities.remove(k);
        } else {
          entities.put(k, entity);
        }
      }
      cache.evict(e.cacheKeys());
      return keys.isEmpty() ? Future.succeededFuture() : rebuild();
    }).map(v -> {
      applied(e.version(), e.committedAtMillis());
      return null;
    });
  }

  private Future<Void> reload() {
    return maps.published().compose(p -> {
      if (p == null || p <= applied) {
        return Future.succeededFuture();
      }
      return maps.all().compose(all -> {
        entities.clear();
        entities.putAll(all);
        cache.evictAll();
        return rebuild();
      }).map(v -> {
        LOG.info("configuration reloaded from the cluster at version {}", p);
        applied(p, List.of());
        return null;
      });
    });
  }

  /** The versions this node applied lately, oldest first: strictly increasing when sync keeps its promise. */
  public List<Long> recentlyApplied() {
    return List.copyOf(history);
  }

  private void applied(long version, List<Long> committedAt) {
    applied = version;
    history.addLast(version);
    if (history.size() > HISTORY) {
      history.pollFirst();
    }
    meters.applied(version, System.currentTimeMillis(), committedAt);
    status.applied(version);
    first.tryComplete();
  }

  private Future<Void> rebuild() {
    ObjectNode doc = document();
    List<PluginDef> plugins = plugins();
    return vertx.executeBlocking(() -> {
      try {
        apply.accept(DeclarativeConfig.fromTree(doc), plugins);
      } catch (RuntimeException e) {
        meters.applyFailed();
        LOG.error("configuration does not build; the previous route table keeps serving: {}", e.getMessage());
      }
      return null;
    });
  }

  /** The declarative document of the entities held: services and routes in creation order. */
  private ObjectNode document() {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("format_version", 1);
    ArrayNode services = doc.putArray("services");
    ArrayNode routes = doc.putArray("routes");
    Comparator<JsonObject> bySeq = Comparator.comparingLong(e -> e.getLong("seq"));
    List<JsonObject> s = new ArrayList<>();
    List<JsonObject> r = new ArrayList<>();
    entities.forEach((k, e) -> {
      if (k.type() == EntityType.SERVICE) {
        s.add(e);
      } else if (k.type() == EntityType.ROUTE) {
        r.add(e);
      }
    });
    s.sort(bySeq);
    r.sort(bySeq);
    for (JsonObject e : s) {
      services.add(tree(e.getJsonObject("def")));
    }
    for (JsonObject e : r) {
      JsonObject service = entities.get(EntityKey.of(EntityType.SERVICE, e.getString("service_id")));
      if (service == null) {
        continue;  // its service is not known (yet): the route cannot be served
      }
      ObjectNode def = tree(e.getJsonObject("def"));
      def.put("service", service.getJsonObject("def").getString("name"));
      routes.add(def);
    }
    return doc;
  }

  /**
   * The enabled plugins held, in creation order, with the service and route they name resolved to names (a
   * plugin whose service or route is not known yet is left out, as its route would be).
   */
  private List<PluginDef> plugins() {
    List<JsonObject> held = new ArrayList<>();
    entities.forEach((k, e) -> {
      if (k.type() == EntityType.PLUGIN) {
        held.add(e);
      }
    });
    held.sort(Comparator.<JsonObject>comparingLong(e -> e.getLong("seq")).thenComparing(e -> e.getString("id")));
    List<PluginDef> out = new ArrayList<>();
    for (JsonObject p : held) {
      if (!p.getBoolean("enabled", true)) {
        continue;
      }
      String service = null;
      String route = null;
      if (p.getString("service_id") != null) {
        JsonObject svc = entities.get(EntityKey.of(EntityType.SERVICE, p.getString("service_id")));
        if (svc == null) {
          continue;
        }
        service = svc.getJsonObject("def").getString("name");
      }
      if (p.getString("route_id") != null) {
        JsonObject rt = entities.get(EntityKey.of(EntityType.ROUTE, p.getString("route_id")));
        if (rt == null) {
          continue;
        }
        route = rt.getJsonObject("def").getString("name");
      }
      out.add(new PluginDef(p.getString("id"), p.getString("name"), p.getString("scope"), service, route,
          p.getString("consumer_id"), tree(p.getJsonObject("config"))));
    }
    return out;
  }

  private static ObjectNode tree(JsonObject o) {
    try {
      return (ObjectNode) JSON.readTree(o.encode());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

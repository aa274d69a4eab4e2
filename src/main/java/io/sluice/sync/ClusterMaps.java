package io.sluice.sync;

import io.sluice.config.EntityKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The cluster's copy of the configuration (Hazelcast maps when clustered, local maps otherwise): each
 * service, route and plugin (by {@link EntityKey#encode}) as of the version it was read at ({@code {"v": V, "e": ENTITY}}, ENTITY null when
 * deleted), the version the leader last published, who leads, and each node's applied version. Values are
 * JSON strings: compared byte for byte by the compare-and-set operations, and readable by any member.
 */
public final class ClusterMaps {

  /** The Hazelcast maps' names: the entities, and the published version. */
  public static final List<String> NAMES = List.of("sluice.config", "sluice.sync");
  static final String PUBLISHED = "published";
  static final String LEADER = "leader";

  private final AsyncMap<String, String> config;
  private final AsyncMap<String, Long> state;
  private final AsyncMap<String, String> nodes;
  /** What this node (as leader) last wrote under each key. */
  private final Map<EntityKey, String> written = new java.util.concurrent.ConcurrentHashMap<>();

  private ClusterMaps(AsyncMap<String, String> config, AsyncMap<String, Long> state, AsyncMap<String, String> nodes) {
    this.config = config;
    this.state = state;
    this.nodes = nodes;
  }

  public static Future<ClusterMaps> open(Vertx vertx) {
    var data = vertx.sharedData();
    return data.<String, String>getAsyncMap(NAMES.get(0)).compose(config ->
        data.<String, Long>getAsyncMap(NAMES.get(1)).compose(state ->
            data.<String, String>getAsyncMap("sluice.nodes").map(nodes -> new ClusterMaps(config, state, nodes))));
  }

  /** The version the leader last published (null before the first fill of this cluster). */
  public Future<Long> published() {
    return call(() -> state.get(PUBLISHED));
  }

  /** Moves the published version from {@code from} (null: none yet) to {@code to}; false if it moved meanwhile. */
  Future<Boolean> publish(Long from, long to) {
    if (from == null) {
      return call(() -> state.putIfAbsent(PUBLISHED, to)).map(prev -> prev == null);
    }
    return call(() -> state.replaceIfPresent(PUBLISHED, from, to));
  }

  /**
   * Stores {@code entity} (null: deleted) under {@code key} as of {@code version}, unless the map already
   * holds a state at least as new: a leader that lost the lead mid-way never overwrites its successor's.
   */
  Future<Void> putIfNewer(EntityKey key, String entity, long version) {
    String value = "{\"v\":" + version + ",\"e\":" + (entity == null ? "null" : entity) + "}";
    // Optimistic first: the value this leader wrote last (or none) is most likely still there, and the
    // compare-and-set then costs one round trip instead of a read and a write.
    String mine = written.get(key);
    Future<Boolean> first = mine == null ? call(() -> config.putIfAbsent(key.encode(), value)).map(prev -> prev == null)
        : call(() -> config.replaceIfPresent(key.encode(), mine, value));
    return first.compose(ok -> {
      if (ok) {
        written.put(key, value);
        return Future.succeededFuture();
      }
      return putIfNewerSlow(key, entity, version, value);
    });
  }

  /**
   * Stores {@code entity} (null: deleted) under {@code key} as of {@code version} whatever the map holds: after
   * PostgreSQL's version went back (a restored database), the states the map holds of higher versions are void.
   */
  Future<Void> overwrite(EntityKey key, String entity, long version) {
    String value = "{\"v\":" + version + ",\"e\":" + (entity == null ? "null" : entity) + "}";
    return call(() -> config.put(key.encode(), value)).map(v -> {
      written.put(key, value);
      return null;
    });
  }

  /** Forgets what this node wrote (it lost or took the lead: another leader may have written since). */
  void forgetWrites() {
    written.clear();
  }

  private Future<Void> putIfNewerSlow(EntityKey key, String entity, long version, String value) {
    return call(() -> config.get(key.encode())).compose(old -> {
      if (old != null && versionOf(old) >= version) {
        return Future.succeededFuture();
      }
      Future<Boolean> set = old == null ? call(() -> config.putIfAbsent(key.encode(), value)).map(prev -> prev == null)
          : call(() -> config.replaceIfPresent(key.encode(), old, value));
      return set.compose(ok -> {
        if (ok) {
          written.put(key, value);
          return Future.succeededFuture();
        }
        return putIfNewerSlow(key, entity, version, value);
      });
    });
  }

  /** The entities under {@code keys}: the JSON of each, absent from the answer when deleted or unknown. */
  Future<Map<EntityKey, JsonObject>> getAll(List<EntityKey> keys) {
    List<Future<String>> gets = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      gets.add(call(() -> config.get(k.encode())));
    }
    return Future.all(gets).map(all -> {
      Map<EntityKey, JsonObject> out = new HashMap<>();
      for (int i = 0; i < keys.size(); i++) {
        JsonObject e = entityOf(all.resultAt(i));
        if (e != null) {
          out.put(keys.get(i), e);
        }
      }
      return out;
    });
  }

  /** Every live entity, by key. */
  Future<Map<EntityKey, JsonObject>> all() {
    return call(config::entries).map(entries -> {
      Map<EntityKey, JsonObject> out = new HashMap<>();
      entries.forEach((k, v) -> {
        JsonObject e = entityOf(v);
        if (e != null) {
          out.put(EntityKey.decode(k), e);
        }
      });
      return out;
    });
  }

  Future<java.util.Set<EntityKey>> keys() {
    return call(config::keys).map(keys -> {
      java.util.Set<EntityKey> out = new java.util.HashSet<>();
      keys.forEach(k -> out.add(EntityKey.decode(k)));
      return out;
    });
  }

  Future<Void> setLeader(String nodeId) {
    return call(() -> nodes.put(LEADER, nodeId));
  }

  public Future<String> leader() {
    return call(() -> nodes.get(LEADER));
  }

  Future<Void> putNode(String nodeId, String json) {
    return call(() -> nodes.put("node:" + nodeId, json));
  }

  Future<Map<String, String>> nodes() {
    return call(nodes::entries);
  }

  /**
   * A map call whose failure is its future's: Hazelcast throws at once, instead, once its instance is shutting down
   * (HazelcastInstanceNotActiveException), which on a timer (a node's applied version written to the map) was an
   * ERROR line with its stack at a node's stop.
   */
  private static <T> Future<T> call(Supplier<Future<T>> op) {
    try {
      return op.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static long versionOf(String value) {
    return new JsonObject(value).getLong("v");
  }

  private static JsonObject entityOf(String value) {
    return value == null ? null : new JsonObject(value).getJsonObject("e");
  }
}

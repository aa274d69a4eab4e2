package io.sluice.bus;

import io.sluice.config.EntityKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration moved from version {@code previous} to {@code version}: the entities named in
 * {@code keys} now hold their state as of {@code version} in the cluster's maps, and the consumer-cache
 * keys in {@code cacheKeys} are to be evicted ({@code flushCaches}: all of them, when a change touched too many
 * consumers to name them). {@code full} means the maps were rewritten whole (first
 * fill, after a split-brain merge): reload everything. {@code committedAtMillis} holds the commit time of
 * each version in (previous, version], oldest first, for the propagation-delay histogram. {@code entities}
 * carries the changed services, routes and plugins themselves (JSON, null when deleted) when they are
 * small, so that nodes need not read them back from the maps; empty otherwise (the maps are the source).
 *
 * <p>Published by the sync leader only after its compare-and-set of the cluster's published version from
 * {@code previous} to {@code version} succeeded, so the events form one chain. On the wire an entity key is
 * its {@link EntityKey#encode} form.
 */
public record ConfigChanged(long version, long previous, boolean full, List<EntityKey> keys,
                            List<String> cacheKeys, boolean flushCaches, List<Long> committedAtMillis,
                            Map<EntityKey, String> entities) {

  public ConfigChanged {
    keys = List.copyOf(keys);
    cacheKeys = List.copyOf(cacheKeys);
    committedAtMillis = List.copyOf(committedAtMillis);
    entities = Collections.unmodifiableMap(new HashMap<>(entities));
  }

  /** A full reload below the version before it: PostgreSQL went back (a database restored from an older backup). */
  public boolean regressed() {
    return full && version < previous;
  }

  public JsonObject toJson() {
    JsonArray k = new JsonArray();
    keys.forEach(key -> k.add(key.encode()));
    JsonObject e = new JsonObject();
    entities.forEach((key, json) -> e.put(key.encode(), json));
    return new JsonObject().put("version", version).put("previous", previous).put("full", full)
        .put("keys", k).put("cache_keys", new JsonArray(new ArrayList<>(cacheKeys))).put("flush_caches", flushCaches)
        .put("committed_at", new JsonArray(new ArrayList<>(committedAtMillis)))
        .put("entities", e);
  }

  public static ConfigChanged fromJson(JsonObject j) {
    List<EntityKey> keys = new ArrayList<>();
    j.getJsonArray("keys").forEach(k -> keys.add(EntityKey.decode((String) k)));
    List<String> cacheKeys = new ArrayList<>();
    j.getJsonArray("cache_keys").forEach(k -> cacheKeys.add((String) k));
    List<Long> at = new ArrayList<>();
    j.getJsonArray("committed_at").forEach(a -> at.add(((Number) a).longValue()));
    Map<EntityKey, String> entities = new HashMap<>();
    j.getJsonObject("entities").forEach(e -> entities.put(EntityKey.decode(e.getKey()), (String) e.getValue()));
    return new ConfigChanged(j.getLong("version"), j.getLong("previous"), j.getBoolean("full"), keys, cacheKeys,
        j.getBoolean("flush_caches", false), at, entities);
  }

  public static final RecordCodec<ConfigChanged> CODEC =
      new RecordCodec<>("sluice.ConfigChanged", ConfigChanged::toJson, ConfigChanged::fromJson);
}

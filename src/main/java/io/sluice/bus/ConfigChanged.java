package io.sluice.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration moved from version {@code previous} to {@code version}: the entities named in
 * {@code keys} ({@code table:id}, and {@code cache:KEY} for consumer-cache keys to evict) now hold their
 * state as of {@code version} in the cluster's maps. {@code full} means the maps were rewritten whole (first
 * fill, after a split-brain merge): reload everything. {@code committedAtMillis} holds the commit time of
 * each version in (previous, version], oldest first, for the propagation-delay histogram. {@code entities}
 * carries the changed services and routes themselves (JSON, null when deleted) when they are small, so that
 * nodes need not read them back from the maps; empty otherwise (the maps are the source then).
 *
 * <p>Published by the sync leader only after its compare-and-set of the cluster's published version from
 * {@code previous} to {@code version} succeeded, so the events form one chain.
 */
public record ConfigChanged(long version, long previous, boolean full, List<String> keys,
                            List<Long> committedAtMillis, Map<String, String> entities) {

  public ConfigChanged {
    keys = List.copyOf(keys);
    committedAtMillis = List.copyOf(committedAtMillis);
    entities = java.util.Collections.unmodifiableMap(new HashMap<>(entities));
  }

  public JsonObject toJson() {
    return new JsonObject().put("version", version).put("previous", previous).put("full", full)
        .put("keys", new JsonArray(new ArrayList<>(keys)))
        .put("committed_at", new JsonArray(new ArrayList<>(committedAtMillis)))
        .put("entities", new JsonObject(new HashMap<>(entities)));
  }

  public static ConfigChanged fromJson(JsonObject j) {
    List<String> keys = new ArrayList<>();
    j.getJsonArray("keys").forEach(k -> keys.add((String) k));
    List<Long> at = new ArrayList<>();
    j.getJsonArray("committed_at").forEach(a -> at.add(((Number) a).longValue()));
    Map<String, String> entities = new HashMap<>();
    j.getJsonObject("entities").forEach(e -> entities.put(e.getKey(), (String) e.getValue()));
    return new ConfigChanged(j.getLong("version"), j.getLong("previous"), j.getBoolean("full"), keys, at, entities);
  }

  public static final RecordCodec<ConfigChanged> CODEC =
      new RecordCodec<>("sluice.ConfigChanged", ConfigChanged::toJson, ConfigChanged::fromJson);
}

package io.sluice.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The configuration moved from version {@code previous} to {@code version}: the entities named in
 * {@code keys} ({@code table:id}, and {@code cache:KEY} for consumer-cache keys to evict) now hold their
 * state as of {@code version} in the cluster's maps. {@code full} means the maps were rewritten whole (first
 * fill, after a split-brain merge): reload everything. {@code committedAtMillis} holds the commit time of
 * each version in (previous, version], oldest first, for the propagation-delay histogram.
 *
 * <p>Published by the sync leader only after its compare-and-set of the cluster's published version from
 * {@code previous} to {@code version} succeeded, so the events form one chain.
 */
public record ConfigChanged(long version, long previous, boolean full, List<String> keys,
                            List<Long> committedAtMillis) {

  public ConfigChanged {
    keys = List.copyOf(keys);
    committedAtMillis = List.copyOf(committedAtMillis);
  }

  public JsonObject toJson() {
    return new JsonObject().put("version", version).put("previous", previous).put("full", full)
        .put("keys", new JsonArray(new ArrayList<>(keys)))
        .put("committed_at", new JsonArray(new ArrayList<>(committedAtMillis)));
  }

  public static ConfigChanged fromJson(JsonObject j) {
    List<String> keys = new ArrayList<>();
    j.getJsonArray("keys").forEach(k -> keys.add((String) k));
    List<Long> at = new ArrayList<>();
    j.getJsonArray("committed_at").forEach(a -> at.add(((Number) a).longValue()));
    return new ConfigChanged(j.getLong("version"), j.getLong("previous"), j.getBoolean("full"), keys, at);
  }

  public static final RecordCodec<ConfigChanged> CODEC =
      new RecordCodec<>("sluice.ConfigChanged", ConfigChanged::toJson, ConfigChanged::fromJson);
}

package io.sluice.bus;

import io.vertx.core.json.JsonObject;

/** Node {@code nodeId} (named {@code name}) now serves configuration version {@code version}. */
public record NodeApplied(String nodeId, String name, long version, long atMillis) {

  public JsonObject toJson() {
    return new JsonObject().put("node_id", nodeId).put("name", name).put("version", version)
        .put("at", atMillis);
  }

  public static NodeApplied fromJson(JsonObject j) {
    return new NodeApplied(j.getString("node_id"), j.getString("name"), j.getLong("version"), j.getLong("at"));
  }

  public static final RecordCodec<NodeApplied> CODEC =
      new RecordCodec<>("sluice.NodeApplied", NodeApplied::toJson, NodeApplied::fromJson);
}

package io.sluice.bus;

import io.sluice.config.EntityType;
import io.sluice.config.Rejection;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Node {@code nodeId} (named {@code name}) now serves configuration version {@code version}, with the
 * entities it did not apply as written ({@code rejected}, at most {@link #MAX_LISTED} of them, the newest
 * first; {@code rejectedCount} says how many there are in all), so that any node can tell whether a
 * version applied everywhere. {@code epoch} counts the times the node's version went back (it reloaded a database
 * restored from an older backup): a report of a higher epoch replaces one of a lower, whatever their versions.
 */
public record NodeApplied(String nodeId, String name, long version, long atMillis, List<Rejection> rejected,
                          int rejectedCount, long epoch) {

  /** Rejections listed per node: a report (and a bus message) stays small whatever a migration broke. */
  public static final int MAX_LISTED = 100;

  public NodeApplied {
    rejected = List.copyOf(rejected);
  }

  public NodeApplied(String nodeId, String name, long version, long atMillis) {
    this(nodeId, name, version, atMillis, List.of(), 0, 0);
  }

  /** The newest {@link #MAX_LISTED} of {@code all}, and their count. */
  public static NodeApplied of(String nodeId, String name, long version, long atMillis, List<Rejection> all,
                               long epoch) {
    List<Rejection> listed = all.stream()
        .sorted(java.util.Comparator.comparingLong(Rejection::version).reversed()).limit(MAX_LISTED).toList();
    return new NodeApplied(nodeId, name, version, atMillis, listed, all.size(), epoch);
  }

  /** Whether this report is newer than {@code other} of the same node: a later epoch, or the same and a version as high. */
  public boolean supersedes(NodeApplied other) {
    return epoch != other.epoch ? epoch > other.epoch : version >= other.version;
  }

  public JsonObject toJson() {
    return new JsonObject().put("node_id", nodeId).put("name", name).put("version", version)
        .put("at", atMillis).put("rejected", json(rejected)).put("rejected_count", rejectedCount)
        .put("epoch", epoch);
  }

  public static NodeApplied fromJson(JsonObject j) {
    List<Rejection> rejected = new ArrayList<>();
    JsonArray r = j.getJsonArray("rejected", new JsonArray());
    for (int i = 0; i < r.size(); i++) {
      rejected.add(rejection(r.getJsonObject(i)));
    }
    return new NodeApplied(j.getString("node_id"), j.getString("name"), j.getLong("version"), j.getLong("at"),
        rejected, j.getInteger("rejected_count", rejected.size()), j.getLong("epoch", 0L));
  }

  /** A rejection as /cluster, /health/ready and the bus show it. */
  public static JsonObject json(Rejection r) {
    return new JsonObject().put("type", r.type().noun()).put("id", r.id()).put("name", r.name())
        .put("reason", r.reason()).put("version", r.version()).put("kept", r.kept());
  }

  public static JsonArray json(List<Rejection> rejected) {
    JsonArray out = new JsonArray();
    rejected.forEach(r -> out.add(json(r)));
    return out;
  }

  public static Rejection rejection(JsonObject j) {
    return new Rejection(EntityType.valueOf(j.getString("type").toUpperCase(java.util.Locale.ROOT)),
        j.getString("id"), j.getString("name"), j.getString("reason"), j.getLong("version", 0L),
        j.getBoolean("kept", false));
  }

  public static final RecordCodec<NodeApplied> CODEC =
      new RecordCodec<>("sluice.NodeApplied", NodeApplied::toJson, NodeApplied::fromJson);
}

package io.sluice.sync;

import io.sluice.bus.NodeApplied;
import io.sluice.cluster.Membership;
import io.sluice.config.Rejection;
import io.sluice.metrics.SyncMeters;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What {@code GET /cluster} shows of this node itself ({@code "self"}): its id and name, the version it
 * applied and the entities it rejected (every one: this is the node itself), whether it serves its local
 * snapshot (stale, PostgreSQL unreachable since its start), whether it is clustered and, when it follows
 * PostgreSQL, whether it leads sync and how long ago PostgreSQL last answered.
 */
public final class NodeSyncView implements Supplier<JsonObject> {

  private final Membership membership;
  private final String name;
  private final LongSupplier applied;
  private final Supplier<SyncMeters> meters;
  private final BooleanSupplier leading;
  private final Supplier<List<Rejection>> rejected;
  private final Supplier<LocalSnapshot.State> snapshot;

  /** {@code meters} answers null while the node does not follow PostgreSQL (file mode). */
  public NodeSyncView(Membership membership, String name, LongSupplier applied, Supplier<SyncMeters> meters,
                      BooleanSupplier leading, Supplier<List<Rejection>> rejected,
                      Supplier<LocalSnapshot.State> snapshot) {
    this.rejected = rejected;
    this.snapshot = snapshot;
    this.membership = membership;
    this.name = name;
    this.applied = applied;
    this.meters = meters;
    this.leading = leading;
  }

  @Override
  public JsonObject get() {
    JsonObject info = new JsonObject().put("node_id", membership.nodeId()).put("name", name)
        .put("applied_version", applied.getAsLong()).put("clustered", membership.clustered());
    List<Rejection> r = rejected.get();
    info.put("rejected", NodeApplied.json(r)).put("rejected_count", r.size());
    LocalSnapshot.State served = snapshot.get();
    // Serving the local snapshot read at start (PostgreSQL did not answer): stale as far as the node knows.
    SyncMeters m = meters.get();
    // snapshot: PostgreSQL unreachable since the start; file: no database (pg.url empty), routes_file alone.
    info.put("stale", served != null).put("config_source", served != null ? "snapshot" : m == null ? "file" : "cluster");
    if (m != null) {
      info.put("sync_leader", leading.getAsBoolean())
          .put("store_last_contact_ms_ago", System.currentTimeMillis() - m.lastContactMillis());
    }
    return info;
  }
}

package io.sluice.node;

import io.sluice.cluster.Membership;
import io.sluice.sync.ClusterMaps;
import io.sluice.sync.ConfigApplier;
import io.sluice.sync.SyncLeader;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Entries lost with members (two of three killed together, or a pause or a partition that leaves this member a part
 * of the cluster holding only the partitions it had a copy of): the cluster maps no longer hold the whole
 * configuration. The applier reloads nothing from them from the first report on, and the sync leader rewrites them
 * whole from PostgreSQL. Hazelcast reports each lost partition of each map (about 90 of 271 per map when one member
 * of three is left alone): one rewrite for the lot, {@value #REWRITE_DELAY_MS} ms after the first.
 */
final class MapLossWatch {

  /** How long after a first lost partition the sync leader rewrites the maps (the others are reported meanwhile). */
  static final long REWRITE_DELAY_MS = 500;

  private MapLossWatch() {}

  static void install(Membership membership, Vertx vertx, ConfigApplier applier, SyncLeader leader) {
    AtomicBoolean rewriteDue = new AtomicBoolean();
    for (String map : ClusterMaps.NAMES) {
      membership.onDataLost(map, () -> {
        applier.mapsLostEntries();
        if (rewriteDue.compareAndSet(false, true)) {
          vertx.setTimer(REWRITE_DELAY_MS, id -> {
            rewriteDue.set(false);
            leader.rewriteWhole();
          });
        }
      });
    }
  }
}

package io.sluice.sync;

import io.sluice.config.EntityKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the applied configuration to the local snapshot, coalesced and on a worker: a burst of changes
 * costs one write of the latest state. Writes are at least {@value #EVERY_MS} ms apart, and at least
 * {@value #COST_FACTOR} times the last write's duration apart, so that writing costs at most about 5% of a
 * core whatever the size of the configuration (measured: 10,000 routes take about 150 ms to write and sync on
 * this machine, which every 500 ms was a third of a core per node under 50 changes per second). Used on the
 * applier's context only.
 */
final class SnapshotKeeper {

  static final long EVERY_MS = 500;
  static final int COST_FACTOR = 20;

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotKeeper.class);

  private final Vertx vertx;
  private final LocalSnapshot snapshot;
  private final LongSupplier applied;
  private final Supplier<Map<EntityKey, JsonObject>> held;
  private long timer = -1;
  private volatile long lastWriteMs;

  /** {@code held}: a copy of the entities applied (taken on the context); {@code applied}: their version. */
  SnapshotKeeper(Vertx vertx, LocalSnapshot snapshot, LongSupplier applied, Supplier<Map<EntityKey, JsonObject>> held) {
    this.vertx = vertx;
    this.snapshot = snapshot;
    this.applied = applied;
    this.held = held;
  }

  /** A version was applied: the snapshot follows within the delay (nothing when no snapshot is kept). */
  void changed() {
    if (snapshot == null || timer >= 0) {
      return;
    }
    timer = vertx.setTimer(Math.max(EVERY_MS, COST_FACTOR * lastWriteMs), id -> {
      long version = applied.getAsLong();
      Map<EntityKey, JsonObject> entities = held.get();
      Future<Void> written;
      try {
        written = vertx.executeBlocking(() -> {
          long started = System.nanoTime();
          snapshot.write(version, entities);
          lastWriteMs = (System.nanoTime() - started) / 1_000_000;
          return null;
        }, false);
      } catch (RejectedExecutionException e) {
        // The node is stopping (its workers are gone): the snapshot written last stays; a start from it catches up.
        LOG.debug("the local snapshot was not written: the node is stopping");
        return;
      }
      written.onComplete(ar -> {
        timer = -1;
        if (ar.failed()) {
          LOG.warn("the local snapshot {} was not written: {}", snapshot.file(), ar.cause().toString());
        } else if (applied.getAsLong() != version) {
          changed();
        }
      });
    });
  }
}

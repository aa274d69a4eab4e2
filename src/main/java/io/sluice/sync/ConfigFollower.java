package io.sluice.sync;

import io.sluice.store.ConfigStore;
import io.sluice.store.Snapshot;
import io.sluice.store.Wakeup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one node's configuration at PostgreSQL's latest version. Every wake-up (a NOTIFY, a listener
 * (re)connect, a heartbeat that saw a newer version) asks the store for its version; when it is ahead of
 * the applied one, a consistent snapshot is read and the route table rebuilt on a worker thread, then
 * swapped in. Wake-ups coalesce: one catch-up runs at a time and a bell rung meanwhile runs one more.
 * Versions only move forward: an older snapshot (a slow read racing a newer one) is never applied.
 *
 * <p>A whole snapshot per change is the single-node design; the cluster design (change-log deltas through
 * Hazelcast) replaces it without changing what this class promises.
 */
public final class ConfigFollower {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigFollower.class);

  private final Vertx vertx;
  private final ConfigStore store;
  private final Consumer<Snapshot> apply;
  private volatile long applied = -1;
  private volatile long lastReachedMillis;
  private boolean running;
  private boolean again;

  public ConfigFollower(Vertx vertx, ConfigStore store, Consumer<Snapshot> apply) {
    this.vertx = vertx;
    this.store = store;
    this.apply = apply;
  }

  /** Reads and applies the current snapshot; the node's first configuration. */
  public Future<Long> loadInitial() {
    return store.loadSnapshot().compose(this::applySnapshot).map(v -> applied);
  }

  /** The configuration version this node serves (-1 before the first load). */
  public long appliedVersion() {
    return applied;
  }

  /** When the store last answered (epoch millis), to show how stale the configuration may be. */
  public long lastReachedMillis() {
    return lastReachedMillis;
  }

  /** The listener's callback; safe from any thread. */
  public void wake(Wakeup wakeup) {
    synchronized (this) {
      if (running) {
        again = true;
        return;
      }
      running = true;
    }
    catchUp().onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("configuration catch-up failed (serving version {}): {}", applied, ar.cause().getMessage());
      }
      boolean more;
      synchronized (this) {
        more = again;
        again = false;
        running = false;
      }
      if (more) {
        wake(wakeup);
      }
    });
  }

  private Future<Void> catchUp() {
    return store.currentVersion().compose(version -> {
      lastReachedMillis = System.currentTimeMillis();
      return version > applied ? store.loadSnapshot().compose(this::applySnapshot) : Future.succeededFuture();
    });
  }

  private Future<Void> applySnapshot(Snapshot snapshot) {
    lastReachedMillis = System.currentTimeMillis();
    if (snapshot.version() <= applied) {
      return Future.succeededFuture();
    }
    // Building a table of thousands of routes is CPU work: not on an event loop.
    return vertx.<Void>executeBlocking(() -> {
      synchronized (this) {
        if (snapshot.version() > applied) {
          apply.accept(snapshot);
          applied = snapshot.version();
          LOG.info("configuration version {} applied", applied);
        }
      }
      return null;
    }, false);
  }
}

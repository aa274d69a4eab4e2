package io.sluice.sync;

import io.sluice.bus.Addresses;
import io.sluice.bus.NodeApplied;
import io.sluice.cluster.Membership;
import io.sluice.config.Rejection;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Which version every live node serves, as this node knows it: each node publishes {@link NodeApplied}
 * after every version it applies (and keeps it in the cluster's nodes map for nodes that join later).
 * Answers {@code GET /cluster} and waits for {@code /cluster/sync} and admin writes with {@code ?wait=true}.
 */
public final class ClusterStatus {

  /** Raised when the wait ends before every live node applied the version; names the laggards. */
  public static final class Laggards extends RuntimeException {
    public final List<JsonObject> nodes;

    Laggards(long version, List<JsonObject> nodes) {
      super("not every node applied version " + version);
      this.nodes = nodes;
    }
  }

  /**
   * A wait for {@code version}; {@code confirming} while PostgreSQL's version is read to confirm what the nodes
   * report, {@code confirmedAt} (System.nanoTime) when it was read last.
   */
  private static final class Waiter {
    final long version;
    final Promise<Void> done = Promise.promise();
    final java.util.concurrent.atomic.AtomicBoolean confirming = new java.util.concurrent.atomic.AtomicBoolean();
    volatile long confirmedAt;
    /** PostgreSQL's version as last read (no node is trusted above it), Long.MAX_VALUE before. */
    volatile long ceiling = Long.MAX_VALUE;

    Waiter(long version) {
      this.version = version;
    }
  }

  /** How often a wait reads PostgreSQL's version at most, to confirm that the nodes' versions are its own. */
  private static final long CONFIRM_EVERY_NANOS = 100_000_000L;

  private final Vertx vertx;
  private final Membership membership;
  private final ClusterMaps maps;
  private final String name;
  private final Map<String, NodeApplied> view = new ConcurrentHashMap<>();
  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();
  private static final long MAP_WRITE_EVERY_MS = 200;
  private volatile NodeApplied latest;
  private volatile boolean mapWriteScheduled;
  /** PostgreSQL's version, read to confirm waits (null: not following PostgreSQL; the nodes' word is taken). */
  private volatile java.util.function.Supplier<Future<Long>> storeVersion;
  /** This node's last applied version and the times it went back (touched by the applier only). */
  private long lastApplied = -1;
  private long epoch;

  public ClusterStatus(Vertx vertx, Membership membership, ClusterMaps maps, String name) {
    this.vertx = vertx;
    this.membership = membership;
    this.maps = maps;
    this.name = name;
  }

  /**
   * After a split-brain merge, announced again this long after the merge and once more later: the other half
   * holds this node's report from before the split (a laggard to /cluster/sync for ever, until the next change),
   * and the event bus's subscriptions across the halves are registered again in the moments after the merge.
   */
  static final long[] REANNOUNCE_AFTER_MERGE_MS = {1_000, 5_000};

  /** Listens to the other nodes and reads what the nodes map knows of nodes that applied before. */
  public Future<Void> start() {
    vertx.eventBus().<NodeApplied>consumer(Addresses.NODE_APPLIED, m -> seen(m.body()));
    membership.onMerged(() -> {
      for (long ms : REANNOUNCE_AFTER_MERGE_MS) {
        vertx.setTimer(ms, id -> reannounce());
      }
    });
    return readMap();
  }

  private Future<Void> readMap() {
    return maps.nodes().map(all -> {
      all.forEach((k, v) -> {
        if (k.startsWith("node:")) {
          seen(NodeApplied.fromJson(new JsonObject(v)));
        }
      });
      return null;
    });
  }

  /** This node's last report, to everyone again, and the other nodes' reports as the merged nodes map has them. */
  private void reannounce() {
    NodeApplied last = latest;
    if (last != null) {
      vertx.eventBus().publish(Addresses.NODE_APPLIED, last);
      maps.putNode(last.nodeId(), last.toJson().encode());
    }
    readMap();
  }

  /**
   * This node applied {@code version}, leaving out (or keeping at their last good state) the entities in
   * {@code rejected}: tell everyone (and, at most every 200 ms, the nodes map).
   */
  void applied(long version, List<Rejection> rejected) {
    if (version < lastApplied) {
      epoch++;  // reloaded a database that went back: this report replaces the higher ones everywhere
    }
    lastApplied = version;
    NodeApplied a = NodeApplied.of(membership.nodeId(), name, version, System.currentTimeMillis(), rejected, epoch);
    seen(a);
    vertx.eventBus().publish(Addresses.NODE_APPLIED, a);
    latest = a;
    if (!mapWriteScheduled) {
      // Only nodes that join later read the map: keep it off the path of every change.
      mapWriteScheduled = true;
      vertx.setTimer(MAP_WRITE_EVERY_MS, id -> {
        mapWriteScheduled = false;
        NodeApplied last = latest;
        maps.putNode(last.nodeId(), last.toJson().encode());
      });
    }
  }

  private void seen(NodeApplied a) {
    view.merge(a.nodeId(), a, (old, neu) -> neu.supersedes(old) ? neu : old);
    for (Waiter w : waiters) {
      check(w);
    }
  }

  /**
   * Waits are confirmed against {@code storeVersion} (PostgreSQL's version): a node whose applied version is above
   * it applied that version from another database (one restored from an older backup since), so it has not applied
   * the waited-for version of this one.
   */
  public void confirmWith(java.util.function.Supplier<Future<Long>> storeVersion) {
    this.storeVersion = storeVersion;
  }

  /**
   * Completes {@code w} once every live node reports the version and PostgreSQL holds at least what they report.
   * The reports are taken before PostgreSQL's version is read: a node that applied a version committed meanwhile
   * is not mistaken for one ahead of the database. PostgreSQL unreachable: the nodes' word is taken (they report
   * what they applied from the last database they reached; nothing can be written meanwhile).
   */
  private void check(Waiter w) {
    if (w.done.future().isComplete() || !laggards(w.version, Long.MAX_VALUE).isEmpty()) {
      return;
    }
    java.util.function.Supplier<Future<Long>> store = storeVersion;
    if (store == null) {
      w.done.tryComplete();
      return;
    }
    if (System.nanoTime() - w.confirmedAt < CONFIRM_EVERY_NANOS || !w.confirming.compareAndSet(false, true)) {
      return;  // confirmed a moment ago, or being confirmed: the next report or poll looks again
    }
    long highest = highestApplied();
    store.get().onComplete(ar -> {
      w.confirmedAt = System.nanoTime();
      w.confirming.set(false);
      long ceiling = ar.succeeded() ? ar.result() : Long.MAX_VALUE;
      w.ceiling = ceiling;
      if (highest <= ceiling) {
        w.done.tryComplete();
      }
    });
  }

  /** The highest version a live node reports. */
  private long highestApplied() {
    long highest = -1;
    for (String id : membership.liveNodes()) {
      NodeApplied a = view.get(id);
      if (a != null) {
        highest = Math.max(highest, a.version());
      }
    }
    return highest;
  }

  /**
   * The live nodes, each with its name, applied version (-1: not known to have applied anything) and the
   * entities it rejected (the newest {@value NodeApplied#MAX_LISTED}; {@code rejected_count} in all).
   */
  public JsonArray nodes() {
    JsonArray out = new JsonArray();
    for (String id : membership.liveNodes()) {
      NodeApplied a = view.get(id);
      out.add(new JsonObject().put("id", id).put("name", a == null ? null : a.name())
          .put("applied_version", a == null ? -1 : a.version())
          .put("applied_at", a == null ? null : java.time.Instant.ofEpochMilli(a.atMillis()).toString())
          .put("self", id.equals(membership.nodeId()))
          .put("rejected", NodeApplied.json(a == null ? List.of() : a.rejected()))
          .put("rejected_count", a == null ? 0 : a.rejectedCount()));
    }
    return out;
  }

  /**
   * What the live nodes report of the entities written by version {@code version} that they did not apply
   * (each a rejection with the node's {@code node_id} and {@code node}). A node that lists only part of its
   * rejections and has more counts as not having applied {@code version} (an entry without an entity says
   * so): never an answer that a version applied when it might not have.
   */
  public JsonArray rejectedAt(long version) {
    JsonArray out = new JsonArray();
    for (String id : membership.liveNodes()) {
      NodeApplied a = view.get(id);
      if (a == null) {
        continue;
      }
      for (Rejection r : a.rejected()) {
        if (r.version() == version) {
          out.add(NodeApplied.json(r).put("node_id", id).put("node", a.name()));
        }
      }
      long oldestListed = a.rejected().stream().mapToLong(Rejection::version).min().orElse(Long.MAX_VALUE);
      if (a.rejectedCount() > a.rejected().size() && oldestListed >= version) {
        out.add(new JsonObject().put("node_id", id).put("node", a.name()).put("reason", (a.rejectedCount()
            - a.rejected().size()) + " more rejected entities are not listed; see /cluster on that node"));
      }
    }
    return out;
  }

  /**
   * The live nodes that have not applied {@code version}: below it, or above {@code ceiling} (PostgreSQL's version:
   * such a node applied its version from a database that has since gone back, and not yet this one's).
   */
  private List<JsonObject> laggards(long version, long ceiling) {
    List<JsonObject> behind = new ArrayList<>();
    for (Object o : nodes()) {
      JsonObject n = (JsonObject) o;
      long applied = n.getLong("applied_version");
      if (applied < version) {
        behind.add(n);
      } else if (applied > ceiling) {
        behind.add(n.put("ahead_of_store", "applied " + applied + " of a database that went back to " + ceiling));
      }
    }
    return behind;
  }

  /**
   * Completes once every live node has applied {@code version} of the database PostgreSQL holds now (see
   * {@link #check}); fails with {@link Laggards} after the timeout.
   */
  public Future<Void> awaitApplied(long version, long timeoutMs) {
    Waiter w = new Waiter(version);
    check(w);
    if (w.done.future().isComplete()) {
      return w.done.future();
    }
    waiters.add(w);
    // Membership can change without any NodeApplied (a laggard leaves): look again now and then.
    long poll = vertx.setPeriodic(50, id -> check(w));
    long timer = vertx.setTimer(Math.max(1, timeoutMs),
        id -> w.done.tryFail(new Laggards(version, laggards(version, w.ceiling))));
    return w.done.future().onComplete(ar -> {
      waiters.remove(w);
      vertx.cancelTimer(timer);
      vertx.cancelTimer(poll);
    });
  }
}

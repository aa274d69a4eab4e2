package io.sluice.cluster;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * A node's place in the cluster: its Vert.x, its node id, the ids of the live members (itself alone when
 * not clustered), what to run after a Hazelcast split-brain merge, and what to run when a cluster map lost entries.
 */
public final class Membership {

  private final Vertx vertx;
  private final String nodeId;
  private final Supplier<List<String>> liveNodes;
  private final List<Runnable> mergeListeners;
  /** Registers a listener of a map's lost entries (null when not clustered). */
  private final BiConsumer<String, Runnable> lossWatch;

  Membership(Vertx vertx, String nodeId, Supplier<List<String>> liveNodes, List<Runnable> mergeListeners,
             BiConsumer<String, Runnable> lossWatch) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.liveNodes = liveNodes;
    this.mergeListeners = mergeListeners;
    this.lossWatch = lossWatch;
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return nodeId;
  }

  public boolean clustered() {
    return mergeListeners != null;
  }

  /** The node ids of the live members, this node included. */
  public List<String> liveNodes() {
    return liveNodes.get();
  }

  /** Runs {@code r} (on a Hazelcast thread) after every split-brain merge; nothing when not clustered. */
  public void onMerged(Runnable r) {
    if (mergeListeners != null) {
      mergeListeners.add(r);
    }
  }

  /** What Hazelcast's MERGED lifecycle event runs (see Clustering); public so that a test can play one. */
  public void merged() {
    if (mergeListeners != null) {
      mergeListeners.forEach(Runnable::run);
    }
  }

  /**
   * Runs {@code r} (on a Hazelcast thread) whenever the cluster map {@code map} lost entries: every copy of some of
   * its partitions was on members that left at once (more than its backups), or that this member no longer sees (a
   * pause or a partition split the cluster, and this member's part holds only the partitions it had a copy of).
   * Nothing when not clustered.
   */
  public void onDataLost(String map, Runnable r) {
    if (lossWatch != null) {
      lossWatch.accept(map, r);
    }
  }
}

package io.sluice.cluster;

import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.Supplier;

/**
 * A node's place in the cluster: its Vert.x, its node id, the ids of the live members (itself alone when
 * not clustered), and what to run after a Hazelcast split-brain merge.
 */
public final class Membership {

  private final Vertx vertx;
  private final String nodeId;
  private final Supplier<List<String>> liveNodes;
  private final List<Runnable> mergeListeners;

  Membership(Vertx vertx, String nodeId, Supplier<List<String>> liveNodes, List<Runnable> mergeListeners) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.liveNodes = liveNodes;
    this.mergeListeners = mergeListeners;
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
}

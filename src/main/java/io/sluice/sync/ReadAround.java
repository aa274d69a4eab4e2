package io.sluice.sync;

import io.sluice.store.ChangeReader;
import io.sluice.store.Delta;
import io.vertx.core.Future;
import java.util.function.BooleanSupplier;

/**
 * When a node reads the configuration around its cluster. A pause (SIGSTOP, a long GC) or a partition can split
 * the Hazelcast cluster in two; the sync leader, which holds PostgreSQL's lock, is in one part, and the other part
 * gets no event until the parts merge (found from outside: a node paused 25 s served its old routes for over a
 * minute while reporting UP). A node that does not lead and sees PostgreSQL hold a version above its own for
 * {@value #BEHIND_MS} ms, with no event from its cluster in that time, reads the whole configuration itself, as the
 * leader's first fill does. Touched only on the applier's context.
 */
final class ReadAround {

  /** How long a node may stay behind PostgreSQL's version, its cluster silent, before it reads around it. */
  static final long BEHIND_MS = 5_000;

  private final ChangeReader reader;
  /** Whether this node leads sync (it never reads around its own cluster). */
  private final BooleanSupplier leading;
  /** Since when (System.nanoTime) this node is behind the version PostgreSQL holds (-1: it is not). Read by health. */
  private volatile long behindSince = -1;
  /** The version PostgreSQL held when this node last saw it above its own. Read by health. */
  private volatile long ahead = -1;
  /** Reads in a row that found PostgreSQL's version below the node's. */
  private int belowReads;
  /** When the last event of the cluster arrived (System.nanoTime). */
  private long lastEventNanos = System.nanoTime();

  ReadAround(ChangeReader reader, BooleanSupplier leading) {
    this.reader = reader;
    this.leading = leading;
  }

  /** An event of the cluster arrived: the cluster reaches this node. */
  void event() {
    lastEventNanos = System.nanoTime();
  }

  /** Whether to read now, PostgreSQL holding {@code version} and the node serving {@code applied}. */
  boolean due(long version, long applied) {
    long now = System.nanoTime();
    if (version <= applied) {
      behindSince = -1;
      return false;
    }
    // Kept on the sync leader too, for health (an outside tester saw a new leader serve a version 22 s behind
    // PostgreSQL, its map writes waiting for a paused member, while its config check said UP); it never reads around.
    ahead = version;
    if (behindSince < 0) {
      behindSince = now;
      return false;
    }
    if (leading.getAsBoolean()) {
      return false;
    }
    long wait = BEHIND_MS * 1_000_000L;
    return now - behindSince >= wait && now - lastEventNanos >= wait;
  }

  /**
   * Whether PostgreSQL holds a version below the one this node applied (a database restored from an older backup)
   * on two reads in a row: one read may have been answered just before a version this node applied committed.
   */
  boolean regressed(long version, long applied) {
    if (version >= applied || leading.getAsBoolean()) {
      belowReads = 0;
      return false;
    }
    if (++belowReads < 2) {
      return false;
    }
    belowReads = 0;
    return true;
  }

  /** How long the node has been behind, in ms (0: it is not). */
  long behindMs() {
    return behindSince < 0 ? 0 : (System.nanoTime() - behindSince) / 1_000_000;
  }

  /**
   * How long, in ms, this node serving {@code applied} has been behind the version PostgreSQL held when it last
   * looked (0: it is not, or the cluster's event for that version arrived since). Any thread.
   */
  long behindMs(long applied) {
    long since = behindSince;
    return since < 0 || applied >= ahead ? 0 : (System.nanoTime() - since) / 1_000_000;
  }

  /** The version PostgreSQL held when this node last saw it above its own (-1: never). Any thread. */
  long ahead() {
    return ahead;
  }

  /** Every held entity as PostgreSQL holds them at its version, in one read-only transaction. */
  Future<Delta> read(long applied) {
    return reader.all(applied);  // still behind until it is applied (health says so while the read runs)
  }

  /** The node applied {@code version}: no longer behind if it reached the version PostgreSQL was seen at. */
  void applied(long version) {
    if (version >= ahead) {
      behindSince = -1;
    }
  }
}

package io.sluice.upstream.health;

import java.util.random.RandomGenerator;

/**
 * When a probe runs: the first at a random offset within one interval and each next one interval later, give
 * or take {@value #SPREAD_PERCENT}%, so that the nodes of a cluster (and the targets of one node) do not
 * probe in lockstep.
 */
final class Jitter {

  /** How far a period may stray from the interval, either way. */
  static final int SPREAD_PERCENT = 10;

  private final RandomGenerator random;

  Jitter(RandomGenerator random) {
    this.random = random;
  }

  /** Delay of the first probe: 1 ms to one interval. */
  long first(long intervalMs) {
    return 1 + random.nextLong(Math.max(1, intervalMs));
  }

  /** Delay of the next probe: the interval, plus or minus the spread (at least 1 ms). */
  long next(long intervalMs) {
    long spread = intervalMs * SPREAD_PERCENT / 100;
    return Math.max(1, intervalMs - spread + (spread == 0 ? 0 : random.nextLong(2 * spread + 1)));
  }
}

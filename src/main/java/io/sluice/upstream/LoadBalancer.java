package io.sluice.upstream;

import java.util.List;

/**
 * Chooses a target for one attempt. Implementations are shared by every event loop, so they are
 * thread-safe and lock-free; a target whose circuit refuses the attempt is skipped.
 */
public interface LoadBalancer {

  /**
   * A target for this attempt, with its circuit acquired, or null when none is available.
   *
   * @param hashKey the consistent-hash key (null for the other algorithms)
   * @param avoid   a target to pass over when another is available (the one a retry just failed on)
   */
  Target select(String hashKey, Target avoid);

  static LoadBalancer create(String algorithm, List<Target> targets) {
    return switch (algorithm) {
      case "round-robin" -> new WeightedRoundRobin(targets, false);
      case "weighted" -> new WeightedRoundRobin(targets, true);
      case "least-requests" -> new LeastRequests(targets);
      case "consistent-hash" -> new ConsistentHash(targets);
      default -> throw new IllegalArgumentException("unknown load_balancing.algorithm " + algorithm);
    };
  }

  /**
   * Acquires {@code t} unless it should be avoided or its health refuses; {@code ramp}: a target in its slow
   * start takes only its share so far (a second pass without it serves when nothing else is left).
   */
  static boolean usable(Target t, Target avoid, long now, boolean ramp) {
    return t != avoid && t.weight() > 0 && t.acquire(now, ramp);
  }

  /** The avoided target when nothing else is left (better than none), or null. */
  static Target lastResort(Target avoid, long now) {
    return avoid != null && avoid.weight() > 0 && avoid.acquire(now, false) ? avoid : null;
  }
}

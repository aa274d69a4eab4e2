package io.sluice.upstream;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The usable target with the fewest requests in flight (across all event loops); ties rotate. */
final class LeastRequests implements LoadBalancer {

  private final Target[] targets;
  private final AtomicInteger rotate = new AtomicInteger();

  LeastRequests(List<Target> targets) {
    this.targets = targets.toArray(Target[]::new);
  }

  @Override
  public Target select(String hashKey, Target avoid) {
    long now = System.nanoTime();
    int n = targets.length;
    int offset = Math.floorMod(rotate.getAndIncrement(), n);
    Target best = null;
    for (int i = 0; i < n; i++) {
      Target t = targets[(offset + i) % n];
      if (t == avoid || t.weight() == 0 || t.breaker().state(now) == CircuitBreaker.State.OPEN) {
        continue;
      }
      if (best == null || t.inFlight() < best.inFlight()) {
        best = t;
      }
    }
    if (best != null && best.breaker().tryAcquire(now)) {
      return best;
    }
    for (int i = 0; i < n; i++) {
      Target t = targets[(offset + i) % n];
      if (t != best && LoadBalancer.usable(t, avoid, now)) {
        return t;
      }
    }
    // Nothing else left: the avoided target is better than none.
    return avoid != null && avoid.weight() > 0 && avoid.breaker().tryAcquire(now) ? avoid : null;
  }
}

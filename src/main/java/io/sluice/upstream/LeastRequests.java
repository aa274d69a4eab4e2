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
    if (n == 0) {
      return null;
    }
    int offset = Math.floorMod(rotate.getAndIncrement(), n);
    Target best = null;
    for (int i = 0; i < n; i++) {
      Target t = targets[(offset + i) % n];
      if (t == avoid || t.weight() == 0 || !t.activeUp() || t.breaker().state(now) == CircuitBreaker.State.OPEN) {
        continue;
      }
      if (best == null || t.inFlight() < best.inFlight()) {
        best = t;
      }
    }
    if (best != null && best.acquire(now, true)) {
      return best;
    }
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < n; i++) {
        Target t = targets[(offset + i) % n];
        if ((t != best || pass == 1) && LoadBalancer.usable(t, avoid, now, pass == 0)) {
          return t;
        }
      }
    }
    return LoadBalancer.lastResort(avoid, now);
  }
}

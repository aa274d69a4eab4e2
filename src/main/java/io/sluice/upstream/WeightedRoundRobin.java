package io.sluice.upstream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Round-robin over a schedule computed once: with weights, nginx's smooth weighted round-robin unrolled
 * into a sequence (weights divided by their gcd), so that picking is one atomic increment and no lock.
 */
final class WeightedRoundRobin implements LoadBalancer {

  /** Longest schedule kept; larger weight sums are scaled down to fit. */
  private static final int MAX_SCHEDULE = 10_000;

  private final Target[] schedule;
  private final AtomicLong next = new AtomicLong();

  WeightedRoundRobin(List<Target> targets, boolean weighted) {
    this.schedule = weighted ? smoothSchedule(targets) : equalSchedule(targets);
  }

  private static Target[] equalSchedule(List<Target> targets) {
    return targets.stream().filter(t -> t.weight() > 0).toArray(Target[]::new);
  }

  static Target[] smoothSchedule(List<Target> targets) {
    int g = 0;
    long sum = 0;
    for (Target t : targets) {
      g = gcd(g, t.weight());
      sum += t.weight();
    }
    double scale = (double) g * Math.max(1.0, (double) sum / g / MAX_SCHEDULE);
    int n = targets.size();
    int[] w = new int[n];
    int total = 0;
    for (int i = 0; i < n; i++) {
      int weight = targets.get(i).weight();
      w[i] = weight == 0 ? 0 : (int) Math.max(1, Math.round(weight / scale));
      total += w[i];
    }
    int[] current = new int[n];
    List<Target> out = new ArrayList<>(total);
    for (int k = 0; k < total; k++) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        current[i] += w[i];
        if (w[i] > 0 && (best < 0 || current[i] > current[best])) {
          best = i;
        }
      }
      current[best] -= total;
      out.add(targets.get(best));
    }
    return out.toArray(Target[]::new);
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  @Override
  public Target select(String hashKey, Target avoid) {
    long now = System.nanoTime();
    int len = schedule.length;
    long start = next.getAndIncrement();
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < len; i++) {
        Target t = schedule[(int) ((start + i) % len)];
        if (LoadBalancer.usable(t, avoid, now, pass == 0)) {
          return t;
        }
      }
    }
    return LoadBalancer.lastResort(avoid, now);
  }

}

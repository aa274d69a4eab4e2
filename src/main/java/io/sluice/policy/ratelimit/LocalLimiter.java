package io.sluice.policy.ratelimit;

/**
 * Fixed windows counted on this node. {@code divisor} shares a cluster-wide limit between the live nodes
 * (the Redis fallback); 1 for the local policy. A refused request is not counted.
 */
final class LocalLimiter {

  private final LocalCounters counters;
  private final Windows windows;

  LocalLimiter(LocalCounters counters, Windows windows) {
    this.counters = counters;
    this.windows = windows;
  }

  Decision check(String key, int divisor, long nowMillis) {
    int n = windows.size();
    long[] counts = new long[n];
    boolean allowed = true;
    long retry = 0;
    for (int i = 0; i < n; i++) {
      long limit = Math.max(1, windows.limits()[i] / divisor);
      counts[i] = counters.add(key + windows.suffixes()[i], windows.periods()[i], nowMillis, 1);
      if (counts[i] > limit) {
        allowed = false;
        retry = Math.max(retry, reset(windows.periods()[i], nowMillis));
      }
    }
    if (!allowed) {
      for (int i = 0; i < n; i++) {
        counters.add(key + windows.suffixes()[i], windows.periods()[i], nowMillis, -1);
        counts[i]--;
      }
    }
    return decision(allowed, counts, divisor, nowMillis, retry);
  }

  /** Counts a request Redis admitted, so that a fallback starts from what this node already let through. */
  void shadow(String key, long nowMillis) {
    for (int i = 0; i < windows.size(); i++) {
      counters.add(key + windows.suffixes()[i], windows.periods()[i], nowMillis, 1);
    }
  }

  private Decision decision(boolean allowed, long[] counts, int divisor, long nowMillis, long retry) {
    long remaining = Long.MAX_VALUE;
    long limit = 0;
    long reset = 0;
    for (int i = 0; i < counts.length; i++) {
      long l = Math.max(1, windows.limits()[i] / divisor);
      long rem = Math.max(0, l - counts[i]);
      if (rem < remaining) {
        remaining = rem;
        limit = l;
        reset = reset(windows.periods()[i], nowMillis);
      }
    }
    return new Decision(allowed, limit, remaining, reset, retry);
  }

  private static long reset(long periodSeconds, long nowMillis) {
    long periodMs = periodSeconds * 1000;
    return Math.max(1, (periodMs - nowMillis % periodMs + 999) / 1000);
  }
}

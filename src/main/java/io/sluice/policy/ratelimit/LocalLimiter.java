package io.sluice.policy.ratelimit;

/**
 * Fixed windows counted on this node. {@code divisor} shares a cluster-wide limit between the live nodes
 * (the Redis fallback); 1 for the local policy. A refused request is not counted. For the Redis fallback, Redis
 * calls in flight are counted apart ({@link #reserve}) and the fallback counts them as admitted.
 */
final class LocalLimiter {

  private final LocalCounters counters;
  private final Windows windows;
  /** The keys' suffixes of Redis calls in flight, per window; null for the local policy (it makes none). */
  private final String[] inFlight;

  LocalLimiter(LocalCounters counters, Windows windows, boolean redis) {
    this.counters = counters;
    this.windows = windows;
    this.inFlight = redis ? new String[windows.size()] : null;
    for (int i = 0; redis && i < windows.size(); i++) {
      inFlight[i] = windows.suffixes()[i] + "~";
    }
  }

  Decision check(String key, int divisor, long nowMillis) {
    int n = windows.size();
    long[] counts = new long[n];
    boolean allowed = true;
    long retry = 0;
    for (int i = 0; i < n; i++) {
      long limit = Math.max(1, windows.limits()[i] / divisor);
      counts[i] = counters.add(key + windows.suffixes()[i], windows.periods()[i], nowMillis, 1);
      long pending = inFlight == null ? 0 : counters.get(key + inFlight[i], windows.periods()[i], nowMillis);
      if (counts[i] + pending > limit) {
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

  /**
   * Counts a Redis call about to be sent: a fallback deciding while it is in flight counts it as admitted (Redis
   * may grant it), so that it decides from all this node let through or may still let through.
   */
  void reserve(String key, long nowMillis) {
    for (int i = 0; i < windows.size(); i++) {
      counters.add(key + inFlight[i], windows.periods()[i], nowMillis, 1);
    }
  }

  /**
   * Settles a {@link #reserve} made at {@code sentMillis} (in a window that has ended since, it no longer
   * matters): {@code tokens} that Redis granted (the lease's included; 0 when it refused or did not answer) are
   * counted as this node's, for a fallback to start from. Redis alone decides while it answers: this count is
   * never used to cut a grant, since a lease's tokens counted in the node's window (its clock, the time the answer
   * came) can land in another window than Redis's (its clock, the time the script ran) and a limit far from
   * reached was answered 429 (found by the benchmark: 21 to 36 of 400,000 requests at a limit of 10^9 a second).
   */
  void settle(String key, long sentMillis, long nowMillis, long tokens) {
    for (int i = 0; i < windows.size(); i++) {
      long periodMs = windows.periods()[i] * 1000;
      if (sentMillis / periodMs == nowMillis / periodMs) {
        counters.add(key + inFlight[i], windows.periods()[i], nowMillis, -1);
      }
      if (tokens > 0) {
        counters.add(key + windows.suffixes()[i], windows.periods()[i], nowMillis, tokens);
      }
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

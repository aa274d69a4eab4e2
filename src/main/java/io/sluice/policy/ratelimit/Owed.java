package io.sluice.policy.ratelimit;

import io.vertx.core.Vertx;

/**
 * Requests the local fallback admitted that Redis has not counted, per identity and window, on this node (kept
 * across route-table rebuilds, as the local counters are). The identity's next Redis call carries them and the
 * script adds them to its counts before it decides: without that, Redis back from a pause admitted its whole
 * remainder again on top of what the fallback had let through (54 of 50 in a minute on a loaded machine).
 */
final class Owed implements AutoCloseable {

  private final LocalCounters counts;
  /** When this node last owed anything (0: never): a longest window after it, every debt has ended. */
  private volatile long lastMillis;

  Owed(Vertx vertx) {
    this.counts = new LocalCounters(vertx);
  }

  /** Adds {@code debt} (per window; null: one request) to what {@code key} owes in the windows of {@code nowMillis}. */
  void add(String key, Windows windows, long nowMillis, long[] debt) {
    for (int i = 0; i < windows.size(); i++) {
      long n = debt == null ? 1 : debt[i];
      if (n > 0) {
        counts.add(key + windows.suffixes()[i], windows.periods()[i], nowMillis, n);
      }
    }
    lastMillis = nowMillis;
  }

  /**
   * What {@code key} owes in the windows current at {@code nowMillis}, per window, taken from here (the caller
   * sends it to Redis, or {@link #add}s it back when the call fails); null when nothing is owed.
   */
  long[] take(String key, Windows windows, long nowMillis) {
    long last = lastMillis;
    if (last == 0 || nowMillis - last > windows.periods()[windows.size() - 1] * 1000) {
      return null; // the common case: no fallback admitted anything in the longest window
    }
    long[] debt = null;
    for (int i = 0; i < windows.size(); i++) {
      long n = counts.take(key + windows.suffixes()[i], windows.periods()[i], nowMillis);
      if (n > 0) {
        if (debt == null) {
          debt = new long[windows.size()];
        }
        debt[i] = n;
      }
    }
    return debt;
  }

  @Override
  public void close() {
    counts.close();
  }
}

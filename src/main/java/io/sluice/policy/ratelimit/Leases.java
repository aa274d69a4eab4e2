package io.sluice.policy.ratelimit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tokens this node took from Redis ahead of use, per identity: a request admitted from a lease costs no
 * Redis call. A lease never outlives the window it was taken in (it ends when the earliest window ends, timed
 * from before the call was sent, so never later than Redis' own end), so the cluster never admits more than
 * the limit; it may admit slightly less, by tokens left in other nodes' leases (at most 1/divisor of what
 * was left when each was taken).
 */
final class Leases {

  /** A lease: tokens left, when it ends, and what Redis had left besides it. */
  static final class Lease {
    final AtomicLong tokens;
    final long endsNanos;
    final long redisRemaining;
    final long limit;
    final long resetS;
    final long takenNanos;

    Lease(long tokens, long endsNanos, long redisRemaining, long limit, long resetS, long takenNanos) {
      this.tokens = new AtomicLong(tokens);
      this.endsNanos = endsNanos;
      this.redisRemaining = redisRemaining;
      this.limit = limit;
      this.resetS = resetS;
      this.takenNanos = takenNanos;
    }
  }

  /** Leases are dropped past this many identities (a burst of distinct clients), never over-admitting. */
  private static final int MAX = 100_000;

  private final ConcurrentHashMap<String, Lease> leases = new ConcurrentHashMap<>();

  /** A decision from the identity's lease, or null when it has none left (go to Redis). */
  Decision take(String key, long nowNanos) {
    Lease l = leases.get(key);
    if (l == null || nowNanos - l.endsNanos >= 0) {
      return null;
    }
    long left = l.tokens.decrementAndGet();
    if (left < 0) {
      return null;
    }
    long reset = Math.max(1, l.resetS - (nowNanos - l.takenNanos) / 1_000_000_000L);
    return new Decision(true, l.limit, l.redisRemaining + left, reset, 0);
  }

  /**
   * Keeps {@code lease} for the identity. Requests that found no lease at once each took one from Redis: the tokens
   * still unused in a lease held for the same window move into the new one instead of being dropped with it
   * (they are counted in Redis already; dropped, a single node admitted 69 of a limit of 100 under 16 concurrent
   * clients). The old lease is emptied atomically first, so that no token is used twice; the merged lease ends
   * with the earlier of the two, never outliving a window it holds tokens of.
   */
  void put(String key, Lease lease, long nowNanos) {
    if (leases.size() >= MAX) {
      leases.clear();
    }
    leases.merge(key, lease, (old, fresh) -> {
      if (nowNanos - old.endsNanos >= 0) {
        return fresh;
      }
      long carried = old.tokens.getAndSet(0);
      if (carried <= 0) {
        return fresh;
      }
      return new Lease(fresh.tokens.get() + carried, Math.min(old.endsNanos, fresh.endsNanos), fresh.redisRemaining,
          fresh.limit, fresh.resetS, fresh.takenNanos);
    });
  }
}

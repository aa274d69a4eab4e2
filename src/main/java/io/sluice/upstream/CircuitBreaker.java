package io.sluice.upstream;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Passive health of one target, shared by every event loop: {@code failures} consecutive failures open the
 * circuit (the target is ejected); after {@code openNanos} one trial request is let through (half-open); its
 * success closes the circuit, its failure opens it again.
 */
public final class CircuitBreaker {

  public enum State { CLOSED, OPEN, HALF_OPEN }

  private final int threshold;
  private final long openNanos;
  private final AtomicInteger failures = new AtomicInteger();
  private final AtomicBoolean trialInFlight = new AtomicBoolean();
  /** 0 while closed; otherwise System.nanoTime() when the circuit (last) opened. */
  private volatile long openedAt;
  /** System.nanoTime() when the circuit last closed after being open (0: never): a slow start begins there. */
  private volatile long closedAt;

  public CircuitBreaker(int threshold, long openMillis) {
    this.threshold = threshold;
    this.openNanos = openMillis * 1_000_000L;
  }

  /** Whether a request may go to the target now; in half-open, only the one caller that wins the trial. */
  public boolean tryAcquire(long now) {
    long opened = openedAt;
    if (opened == 0) {
      return true;
    }
    if (now - opened < openNanos) {
      return false;
    }
    return trialInFlight.compareAndSet(false, true);
  }

  public void onSuccess() {
    failures.set(0);
    if (openedAt != 0) {
      long now = System.nanoTime();
      closedAt = now == 0 ? 1 : now;
      openedAt = 0;
      trialInFlight.set(false);
    }
  }

  public long closedAt() {
    return closedAt;
  }

  public void onFailure(long now) {
    if (openedAt != 0) {
      openedAt = now == 0 ? 1 : now;
      trialInFlight.set(false);
    } else if (failures.incrementAndGet() >= threshold) {
      openedAt = now == 0 ? 1 : now;
    }
  }

  /** Ends an acquired attempt that neither succeeded nor failed (the client went away first). */
  public void release() {
    trialInFlight.set(false);
  }

  public State state(long now) {
    long opened = openedAt;
    if (opened == 0) {
      return State.CLOSED;
    }
    return now - opened < openNanos ? State.OPEN : State.HALF_OPEN;
  }
}

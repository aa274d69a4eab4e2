package io.sluice.policy.ratelimit;

import io.vertx.core.Vertx;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fixed-window counters of one node, shared by its event loops and kept across route table rebuilds (a
 * configuration change must not hand every client a fresh allowance). Windows past their end are swept
 * every {@link #SWEEP_MS}, so memory follows the clients of the last hour, not of all time.
 */
public final class LocalCounters implements AutoCloseable {

  /** How often ended windows are dropped. */
  private static final long SWEEP_MS = 10_000;

  private static final class Window {
    final long index;
    final long endsAtMillis;
    final AtomicLong count = new AtomicLong();

    Window(long index, long endsAtMillis) {
      this.index = index;
      this.endsAtMillis = endsAtMillis;
    }
  }

  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
  private final Vertx vertx;
  private final long sweeper;

  public LocalCounters(Vertx vertx) {
    this.vertx = vertx;
    this.sweeper = vertx.setPeriodic(SWEEP_MS, id -> sweep());
  }

  private Window window(String key, long periodSeconds, long nowMillis) {
    long index = nowMillis / (periodSeconds * 1000);
    Window w = windows.get(key);
    if (w == null || w.index != index) {
      Window fresh = new Window(index, (index + 1) * periodSeconds * 1000);
      w = windows.compute(key, (k, cur) -> cur == null || cur.index < index ? fresh : cur);
    }
    return w;
  }

  /** The count of the key's current window after adding {@code delta}. */
  public long add(String key, long periodSeconds, long nowMillis, long delta) {
    return window(key, periodSeconds, nowMillis).count.addAndGet(delta);
  }

  /** The count of the key's current window, which is set to 0 (a count handed over, as a debt to Redis). */
  public long take(String key, long periodSeconds, long nowMillis) {
    Window w = windows.get(key);
    return w != null && w.index == nowMillis / (periodSeconds * 1000) ? w.count.getAndSet(0) : 0;
  }

  /** The count of the key's current window. */
  public long get(String key, long periodSeconds, long nowMillis) {
    Window w = windows.get(key);
    return w != null && w.index == nowMillis / (periodSeconds * 1000) ? w.count.get() : 0;
  }

  public int size() {
    return windows.size();
  }

  private void sweep() {
    long now = System.currentTimeMillis();
    windows.values().removeIf(w -> w.endsAtMillis <= now);
  }

  @Override
  public void close() {
    vertx.cancelTimer(sweeper);
  }
}

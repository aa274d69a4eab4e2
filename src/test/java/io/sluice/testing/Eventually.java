package io.sluice.testing;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * Polls a condition until it holds, for what a test cannot await directly (a change reaching every node, a
 * process becoming ready). The bounds are generous, never speed targets: the machine is shared, and how fast
 * things happen belongs in {@code make bench}. A condition that throws an exception (a connection refused while
 * a node starts) has not held yet; the last such exception is the failure's cause. An AssertionError is not
 * caught: it fails at once.
 */
public final class Eventually {

  /** Long enough for a change to reach every node of a loaded machine; a test that needs more says why. */
  public static final Duration WITHIN = Duration.ofSeconds(10);
  /** Often enough not to slow a test down, rarely enough not to load the machine it waits on. */
  private static final long POLL_MS = 20;

  /** A condition that may throw while it cannot be checked yet. */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  private Eventually() {}

  /** Waits up to {@link #WITHIN} for {@code condition}; fails naming {@code what}. */
  public static void eventually(String what, Condition condition) {
    eventually(what, WITHIN, condition);
  }

  public static void eventually(String what, Duration within, Condition condition) {
    eventually(what, within, condition, () -> "");
  }

  /** As above; {@code context} (a process's log, say) is added to the failure. */
  public static void eventually(String what, Duration within, Condition condition, Supplier<String> context) {
    long deadline = System.nanoTime() + within.toNanos();
    Exception last = null;
    while (true) {
      try {
        if (condition.holds()) {
          return;
        }
      } catch (Exception e) {
        last = e;
      }
      if (System.nanoTime() - deadline > 0) {
        String extra = context.get();
        throw new AssertionError("not within " + within.toSeconds() + " s: " + what
            + (extra.isEmpty() ? "" : "\n" + extra), last);
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for: " + what, e);
      }
    }
  }
}

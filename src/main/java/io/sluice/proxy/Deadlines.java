package io.sluice.proxy;

import io.vertx.core.Vertx;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-request timeouts of one event loop, at a cost of a few field writes each. A Vert.x timer per
 * request is a task in Netty's priority queue plus an entry in a concurrent map, set and cancelled on every
 * request; here all deadlines of the same length share one lane, a linked list in deadline order (the same
 * delay added later expires later), and each lane keeps at most one Vert.x timer, armed for its head.
 * Cancelling only unlinks; a timer that fires early re-arms for the new head. Deadlines never fire early.
 *
 * <p>Confined to its event loop, like the exchanges that use it: no locks.
 */
final class Deadlines {

  private static final Logger LOG = LoggerFactory.getLogger(Deadlines.class);

  private final Vertx vertx;
  /** One lane per distinct delay; a node has a handful (one per timeout value of its services). */
  private Lane[] lanes = new Lane[0];

  Deadlines(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Runs {@code onExpiry} on this event loop once {@code delayMs} have passed, unless cancelled first. */
  Deadline schedule(long delayMs, Runnable onExpiry) {
    Lane lane = lane(Math.max(1, delayMs));
    Deadline d = new Deadline(lane, System.nanoTime() + lane.delayNanos, onExpiry);
    lane.append(d);
    return d;
  }

  private Lane lane(long delayMs) {
    for (Lane l : lanes) {
      if (l.delayMs == delayMs) {
        return l;
      }
    }
    Lane l = new Lane(delayMs);
    lanes = Arrays.copyOf(lanes, lanes.length + 1);
    lanes[lanes.length - 1] = l;
    return l;
  }

  /** One pending deadline; {@link #cancel()} is idempotent and may be called after it fired. */
  static final class Deadline {
    private final Lane lane;
    private final long atNanos;
    private final Runnable onExpiry;
    private Deadline prev;
    private Deadline next;
    private boolean linked = true;

    private Deadline(Lane lane, long atNanos, Runnable onExpiry) {
      this.lane = lane;
      this.atNanos = atNanos;
      this.onExpiry = onExpiry;
    }

    void cancel() {
      if (linked) {
        lane.unlink(this);
      }
    }
  }

  /** The deadlines of one delay, oldest (soonest) first. */
  private final class Lane {
    private final long delayMs;
    private final long delayNanos;
    private Deadline head;
    private Deadline tail;
    /** The Vert.x timer armed for the head, or -1. */
    private long timerId = -1;

    Lane(long delayMs) {
      this.delayMs = delayMs;
      this.delayNanos = delayMs * 1_000_000L;
    }

    void append(Deadline d) {
      d.prev = tail;
      if (tail == null) {
        head = d;
      } else {
        tail.next = d;
      }
      tail = d;
      if (timerId < 0) {
        arm(d.atNanos - System.nanoTime());
      }
    }

    void unlink(Deadline d) {
      if (d.prev == null) {
        head = d.next;
      } else {
        d.prev.next = d.next;
      }
      if (d.next == null) {
        tail = d.prev;
      } else {
        d.next.prev = d.prev;
      }
      d.prev = null;
      d.next = null;
      d.linked = false;
    }

    private void arm(long inNanos) {
      // Rounded up to the next millisecond: a deadline may fire a little late, never early.
      long ms = Math.max(1, (inNanos + 999_999) / 1_000_000);
      timerId = vertx.setTimer(ms, id -> expire());
    }

    private void expire() {
      timerId = -1;
      long now = System.nanoTime();
      while (head != null && head.atNanos - now <= 0) {
        Deadline d = head;
        unlink(d);
        try {
          d.onExpiry.run();
        } catch (RuntimeException e) {
          LOG.error("timeout handler failed", e);
        }
      }
      if (head != null && timerId < 0) {
        arm(head.atNanos - now);
      }
    }
  }
}

package io.sluice.proxy;

import io.sluice.upstream.Target;

/**
 * The target's side of an {@link Attempt}'s time: the idle timeout (a silence both ways over the whole
 * attempt) and the read timeout (from the last byte sent to the answer's first). Kept apart so that the rule
 * of whose fault a silence is (the client's stalled body, a target that never answers, an answer that stops)
 * sits in one place. It is its own idle deadline's task, so re-arming the idle timeout allocates nothing
 * beyond the deadline itself; it replaces the lambda the attempt allocated for it.
 *
 * <p>The body's own deadline (the client's side) is {@link BodyUpload}'s.
 */
final class AttemptTimeouts implements Runnable {

  private final Exchange ex;
  private final Attempt attempt;
  private final Target target;
  private Deadlines.Deadline idle;
  private Deadlines.Deadline read;
  private long idleMs;
  /** System.nanoTime() of the last body bytes either way, for the idle timeout. */
  private long lastActivity;

  AttemptTimeouts(Exchange ex, Attempt attempt, Target target) {
    this.ex = ex;
    this.attempt = attempt;
    this.target = target;
  }

  /** Body bytes went one way or the other at {@code now}: the attempt is not idle. */
  void active(long now) {
    lastActivity = now;
  }

  /**
   * The idle timeout covers the whole attempt, from the request's creation to the answer's end: a silence of
   * idle_ms in both directions breaks it off (504 before the answer starts, a broken answer after; a 408 when
   * it was the client that stopped sending its body). Chunks only record the time; the deadline checks it
   * and, while bytes flow, re-arms for another idle_ms, so a silence is noticed between idle_ms and twice
   * that, at the cost of one deadline per idle_ms.
   */
  void armIdle() {
    lastActivity = System.nanoTime();
    idleMs = ex.upstream.timeouts().idleMs();
    idle = ex.ctx.deadlines().schedule(idleMs, this);
  }

  /** The idle deadline passed: re-arm while bytes flow, else break the attempt off as whoever fell silent. */
  @Override
  public void run() {
    idle = null;
    if (ex.done || attempt.finished()) {
      return;
    }
    if (System.nanoTime() - lastActivity < idleMs * 1_000_000L) {
      idle = ex.ctx.deadlines().schedule(idleMs, this);
    } else if (ex.hasBody && !ex.req.isEnded() && !attempt.heldByTarget() && !ex.responded) {
      ex.clientTooSlow("request body stalled: nothing received for " + idleMs + " ms");
    } else if (!ex.responded) {
      attempt.expire("nothing sent or received for " + idleMs + " ms");
    } else {
      target.meters().failures.increment();
      attempt.upstreamBroke();
    }
  }

  /** The read timeout runs from the last byte sent to the first byte of the answer. */
  void armRead() {
    ex.sentNanos = System.nanoTime();
    if (!ex.responded && !ex.done && !attempt.finished()) {
      long readMs = ex.upstream.timeouts().readMs();
      read = ex.ctx.deadlines().schedule(readMs, () -> attempt.expire("no response within " + readMs + " ms"));
    }
  }

  /** The answer's head arrived: the read timeout is over (the idle timeout goes on). */
  void answered() {
    if (read != null) {
      read.cancel();
      read = null;
    }
  }

  /** The attempt is over: neither timeout applies any more. */
  void cancel() {
    if (idle != null) {
      idle.cancel();
      idle = null;
    }
    answered();
  }
}

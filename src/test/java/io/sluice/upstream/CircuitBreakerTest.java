package io.sluice.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.upstream.CircuitBreaker.State;
import org.junit.jupiter.api.Test;

/** The breaker's states driven by explicit nanoTime values, so no test waits on a clock. */
class CircuitBreakerTest {

  private static final long MS = 1_000_000L;
  /** An arbitrary nanoTime origin; nanoTime values may be any long, including negative ones. */
  private static final long T = 5_000_000_000L;

  private final CircuitBreaker breaker = new CircuitBreaker(3, 100);

  private void fail(int times, long now) {
    for (int i = 0; i < times; i++) {
      breaker.onFailure(now);
    }
  }

  @Test
  void stays_closed_below_the_failure_threshold() {
    fail(2, T);
    assertEquals(State.CLOSED, breaker.state(T));
    assertTrue(breaker.tryAcquire(T));
    assertTrue(breaker.tryAcquire(T));
  }

  @Test
  void opens_after_threshold_consecutive_failures() {
    fail(3, T);
    assertEquals(State.OPEN, breaker.state(T));
    assertFalse(breaker.tryAcquire(T));
  }

  @Test
  void success_between_failures_resets_the_count() {
    fail(2, T);
    breaker.onSuccess();
    fail(2, T);
    assertEquals(State.CLOSED, breaker.state(T), "2 + 2 failures with a success between must not open");
    breaker.onFailure(T);
    assertEquals(State.OPEN, breaker.state(T));
  }

  @Test
  void refuses_every_attempt_until_the_open_time_has_passed() {
    fail(3, T);
    assertFalse(breaker.tryAcquire(T + 1));
    assertFalse(breaker.tryAcquire(T + 50 * MS));
    assertFalse(breaker.tryAcquire(T + 100 * MS - 1));
    assertEquals(State.OPEN, breaker.state(T + 100 * MS - 1));
    assertEquals(State.HALF_OPEN, breaker.state(T + 100 * MS));
  }

  @Test
  void half_open_admits_exactly_one_trial() {
    fail(3, T);
    long later = T + 100 * MS;
    assertTrue(breaker.tryAcquire(later));
    assertFalse(breaker.tryAcquire(later));
    assertFalse(breaker.tryAcquire(later + 500 * MS));
    assertEquals(State.HALF_OPEN, breaker.state(later));
  }

  @Test
  void trial_success_closes_the_circuit_and_restarts_the_count() {
    fail(3, T);
    assertTrue(breaker.tryAcquire(T + 100 * MS));
    breaker.onSuccess();
    long later = T + 101 * MS;
    assertEquals(State.CLOSED, breaker.state(later));
    assertTrue(breaker.tryAcquire(later));
    assertTrue(breaker.tryAcquire(later));
    fail(2, later);
    assertEquals(State.CLOSED, breaker.state(later), "the count must start again from zero");
    breaker.onFailure(later);
    assertEquals(State.OPEN, breaker.state(later));
  }

  @Test
  void trial_failure_opens_the_circuit_for_another_full_period() {
    fail(3, T);
    long trial = T + 100 * MS;
    assertTrue(breaker.tryAcquire(trial));
    long failedAt = trial + 5 * MS;
    breaker.onFailure(failedAt);
    assertEquals(State.OPEN, breaker.state(failedAt));
    assertFalse(breaker.tryAcquire(failedAt + 100 * MS - 1));
    assertTrue(breaker.tryAcquire(failedAt + 100 * MS), "a new trial after the second open period");
    assertFalse(breaker.tryAcquire(failedAt + 100 * MS));
  }

  @Test
  void release_frees_the_trial_without_deciding() {
    fail(3, T);
    long later = T + 100 * MS;
    assertTrue(breaker.tryAcquire(later));
    breaker.release();
    assertEquals(State.HALF_OPEN, breaker.state(later));
    assertTrue(breaker.tryAcquire(later));
    assertFalse(breaker.tryAcquire(later));
  }

  @Test
  void opening_at_nano_time_zero_still_opens() {
    CircuitBreaker b = new CircuitBreaker(1, 100);
    b.onFailure(0);
    assertEquals(State.OPEN, b.state(0));
    assertFalse(b.tryAcquire(50 * MS));
  }

  @Test
  void negative_nano_times_work_like_any_other() {
    CircuitBreaker b = new CircuitBreaker(1, 100);
    long t = -7_000_000_000L;
    b.onFailure(t);
    assertFalse(b.tryAcquire(t + 100 * MS - 1));
    assertTrue(b.tryAcquire(t + 100 * MS));
  }
}

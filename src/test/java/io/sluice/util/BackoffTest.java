package io.sluice.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Full-jitter backoff. Random, so the tests take a large sample and assert bounds that a correct
 * implementation misses with a probability far below 1e-100, never exact values.
 */
class BackoffTest {

  private static final int SAMPLES = 20_000;

  @ParameterizedTest(name = "retry {0}: [0, {1}]")
  @CsvSource({"0, 25", "1, 50", "2, 100", "3, 200", "4, 400", "5, 800", "6, 1000", "7, 1000", "30, 1000",
      "31, 1000", "63, 1000", "1000, 1000"})
  void delay_is_uniform_up_to_the_capped_exponential_ceiling(int retry, long ceiling) {
    Backoff backoff = new Backoff(25, 1000);
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    long sum = 0;
    for (int i = 0; i < SAMPLES; i++) {
      long d = backoff.delayMs(retry);
      assertTrue(d >= 0 && d <= ceiling, "retry " + retry + ": " + d + " outside [0, " + ceiling + "]");
      min = Math.min(min, d);
      max = Math.max(max, d);
      sum += d;
    }
    assertTrue(max >= ceiling * 98 / 100, "ceiling " + ceiling + " never approached, max " + max);
    assertTrue(min <= ceiling * 2 / 100, "full jitter reaches down to 0, min " + min);
    double mean = (double) sum / SAMPLES;
    assertTrue(Math.abs(mean - ceiling / 2.0) < ceiling * 0.05, "mean " + mean + " for ceiling " + ceiling);
  }

  /** Small ceilings make every value observable: both ends of [0, ceiling] must come up, nothing else. */
  @ParameterizedTest(name = "retry {0}: every value in [0, {1}]")
  @CsvSource({"0, 1", "1, 2", "2, 4", "3, 4", "40, 4"})
  void both_zero_and_the_ceiling_itself_are_drawn(int retry, int ceiling) {
    Backoff backoff = new Backoff(1, 4);
    Set<Long> seen = new TreeSet<>();
    for (int i = 0; i < SAMPLES; i++) {
      seen.add(backoff.delayMs(retry));
    }
    Set<Long> expected = new TreeSet<>();
    for (long v = 0; v <= ceiling; v++) {
      expected.add(v);
    }
    assertEquals(expected, seen);
  }

  @Test
  void largest_configurable_values_do_not_overflow() {
    Backoff backoff = new Backoff(60_000, 600_000);
    long max = 0;
    for (int i = 0; i < SAMPLES; i++) {
      long d = backoff.delayMs(40);
      assertTrue(d >= 0 && d <= 600_000, String.valueOf(d));
      max = Math.max(max, d);
    }
    assertTrue(max >= 588_000, "max " + max);
  }

  @Test
  void zero_base_means_no_delay() {
    Backoff backoff = new Backoff(0, 1000);
    for (int retry = 0; retry < 10; retry++) {
      assertEquals(0, backoff.delayMs(retry));
    }
  }
}

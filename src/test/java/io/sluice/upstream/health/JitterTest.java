package io.sluice.upstream.health;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JitterTest {

  @Test
  void first_probes_spread_over_one_interval_and_periods_stray_by_at_most_ten_percent() {
    Jitter j = new Jitter(new SplittableRandom(42));
    Set<Long> firsts = new HashSet<>();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 1000; i++) {
      long f = j.first(5000);
      assertTrue(f >= 1 && f <= 5000, "first probe within one interval: " + f);
      firsts.add(f / 500);
      long n = j.next(5000);
      assertTrue(n >= 4500 && n <= 5500, "next probe within 10%: " + n);
      min = Math.min(min, n);
      max = Math.max(max, n);
    }
    assertTrue(firsts.size() == 10, "first probes land in every tenth of the interval: " + firsts);
    assertTrue(max - min > 800, "periods differ (no lockstep): " + min + ".." + max);
    assertTrue(j.next(5) >= 1, "never under 1 ms");
  }
}

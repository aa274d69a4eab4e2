package io.sluice.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Target choice of every balancing algorithm, including circuits and the target a retry avoids. */
class LoadBalancerTest {

  private static final io.micrometer.core.instrument.MeterRegistry METERS = io.sluice.metrics.Meters.detached();

  /** Open long enough that no test outlives it. */
  private static final long OPEN_MS = 3_600_000;

  private static Target target(String address, int weight) {
    return new Target("svc", address, weight, new CircuitBreaker(1, OPEN_MS), METERS);
  }

  private static List<Target> targets(int... weights) {
    List<Target> list = new ArrayList<>();
    for (int i = 0; i < weights.length; i++) {
      list.add(target("10.0.0." + (i + 1) + ":80", weights[i]));
    }
    return list;
  }

  private static void open(Target t) {
    t.breaker().onFailure(System.nanoTime());
  }

  private static Map<Target, Integer> counts(LoadBalancer lb, int picks) {
    Map<Target, Integer> counts = new HashMap<>();
    for (int i = 0; i < picks; i++) {
      counts.merge(lb.select("key-" + i, null), 1, Integer::sum);
    }
    return counts;
  }

  private static String sequence(LoadBalancer lb, List<Target> ts, int picks) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < picks; i++) {
      b.append((char) ('a' + ts.indexOf(lb.select(null, null))));
    }
    return b.toString();
  }

  @Test
  void round_robin_gives_every_target_exactly_k_picks_over_n_times_k() {
    List<Target> ts = targets(100, 100, 100);
    LoadBalancer lb = LoadBalancer.create("round-robin", ts);
    assertEquals("abcabcabc", sequence(lb, ts, 9));
    assertEquals(Map.of(ts.get(0), 100, ts.get(1), 100, ts.get(2), 100), counts(lb, 300));
  }

  @Test
  void round_robin_ignores_weights_except_zero() {
    List<Target> ts = targets(1, 0, 500);
    LoadBalancer lb = LoadBalancer.create("round-robin", ts);
    assertEquals(Map.of(ts.get(0), 50, ts.get(2), 50), counts(lb, 100));
  }

  @Test
  void weighted_3_to_1_is_exactly_3_to_1_over_each_full_cycle() {
    List<Target> ts = targets(300, 100);
    LoadBalancer lb = LoadBalancer.create("weighted", ts);
    // Weights divided by their gcd: a cycle of 4, in nginx's smooth order.
    assertEquals(4, WeightedRoundRobin.smoothSchedule(ts).length);
    String seq = sequence(lb, ts, 40);
    assertEquals("aaba".repeat(10), seq);
    for (int c = 0; c < 40; c += 4) {
      String cycle = seq.substring(c, c + 4);
      assertEquals(3, cycle.chars().filter(ch -> ch == 'a').count(), cycle);
    }
  }

  @Test
  void weighted_2_to_1_never_picks_the_same_target_three_times_in_a_row() {
    List<Target> ts = targets(2, 1);
    String seq = sequence(LoadBalancer.create("weighted", ts), ts, 300);
    assertEquals("aba".repeat(100), seq);
    assertEquals(-1, seq.indexOf("aaa"));
  }

  @Test
  void weighted_interleaves_like_nginx_smooth_round_robin() {
    // The example of nginx's commit introducing smooth weighted round-robin: weights 5, 1, 1.
    List<Target> ts = targets(5, 1, 1);
    assertEquals("aabacaa".repeat(3), sequence(LoadBalancer.create("weighted", ts), ts, 21));
  }

  @Test
  void weighted_never_picks_a_zero_weight_target() {
    List<Target> ts = targets(2, 0, 1);
    assertEquals(Map.of(ts.get(0), 200, ts.get(2), 100), counts(LoadBalancer.create("weighted", ts), 300));
  }

  @Test
  void least_requests_picks_the_target_with_fewest_in_flight() {
    List<Target> ts = targets(100, 100, 100);
    LoadBalancer lb = LoadBalancer.create("least-requests", ts);
    start(ts.get(0), 3);
    start(ts.get(1), 1);
    start(ts.get(2), 2);
    for (int i = 0; i < 6; i++) {
      assertSame(ts.get(1), lb.select(null, null));
    }
    start(ts.get(1), 3);
    assertSame(ts.get(2), lb.select(null, null));
    for (int i = 0; i < 3; i++) {
      ts.get(0).finished();
    }
    assertSame(ts.get(0), lb.select(null, null));
  }

  @Test
  void least_requests_rotates_between_equally_loaded_targets() {
    List<Target> ts = targets(100, 100, 100);
    assertEquals(Map.of(ts.get(0), 100, ts.get(1), 100, ts.get(2), 100),
        counts(LoadBalancer.create("least-requests", ts), 300));
  }

  private static void start(Target t, int requests) {
    for (int i = 0; i < requests; i++) {
      t.started();
    }
  }

  @Test
  void consistent_hash_sends_a_key_to_the_same_target_every_time() {
    List<Target> ts = targets(100, 100, 100);
    LoadBalancer lb = LoadBalancer.create("consistent-hash", ts);
    LoadBalancer rebuilt = LoadBalancer.create("consistent-hash", targets(100, 100, 100));
    Map<Target, Integer> spread = new HashMap<>();
    for (int k = 0; k < 3000; k++) {
      Target first = lb.select("client-" + k, null);
      assertSame(first, lb.select("client-" + k, null));
      assertEquals(first.address(), rebuilt.select("client-" + k, null).address(), "same ring on every node");
      spread.merge(first, 1, Integer::sum);
    }
    for (Target t : ts) {
      assertTrue(spread.getOrDefault(t, 0) > 600, "keys per target: " + spread);
    }
  }

  @Test
  void consistent_hash_removing_a_target_moves_only_that_targets_keys() {
    List<Target> three = targets(100, 100, 100);
    List<Target> two = List.of(three.get(0), three.get(1));
    LoadBalancer before = LoadBalancer.create("consistent-hash", three);
    LoadBalancer after = LoadBalancer.create("consistent-hash", two);
    int moved = 0;
    for (int k = 0; k < 5000; k++) {
      String key = "client-" + k;
      Target was = before.select(key, null);
      Target now = after.select(key, null);
      if (was == three.get(2)) {
        assertNotEquals(three.get(2), now);
        moved++;
      } else {
        assertSame(was, now, key + " moved though its target stayed");
      }
    }
    assertTrue(moved > 1000, "the removed target owned " + moved + " of 5000 keys");
  }

  @Test
  void consistent_hash_never_picks_a_zero_weight_target() {
    List<Target> ts = targets(100, 0);
    Map<Target, Integer> counts = counts(LoadBalancer.create("consistent-hash", ts), 500);
    assertEquals(Map.of(ts.get(0), 500), counts);
  }

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "weighted", "least-requests", "consistent-hash"})
  void target_with_an_open_circuit_is_skipped(String algorithm) {
    List<Target> ts = targets(100, 100, 100);
    LoadBalancer lb = LoadBalancer.create(algorithm, ts);
    open(ts.get(1));
    Map<Target, Integer> counts = counts(lb, 600);
    assertNull(counts.get(ts.get(1)), algorithm + " picked the open target: " + counts);
    assertEquals(600, counts.getOrDefault(ts.get(0), 0) + counts.getOrDefault(ts.get(2), 0));
  }

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "weighted", "least-requests", "consistent-hash"})
  void avoided_target_is_passed_over_when_another_is_usable(String algorithm) {
    List<Target> ts = targets(100, 100);
    LoadBalancer lb = LoadBalancer.create(algorithm, ts);
    for (int i = 0; i < 50; i++) {
      assertSame(ts.get(1), lb.select("key-" + i, ts.get(0)), algorithm);
      assertSame(ts.get(0), lb.select("key-" + i, ts.get(1)), algorithm);
    }
  }

  /**
   * LoadBalancer#select: avoid is "a target to pass over when another is available", so with no other
   * target usable the retry still gets the avoided one (WeightedRoundRobin: "better than none").
   */
  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "weighted", "least-requests", "consistent-hash"})
  void avoided_target_is_still_chosen_when_it_is_the_only_target(String algorithm) {
    List<Target> single = targets(100);
    assertSame(single.get(0), LoadBalancer.create(algorithm, single).select("key", single.get(0)),
        algorithm + ": a retry on a one-target service found no target although its circuit is closed");
  }

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "weighted", "least-requests", "consistent-hash"})
  void avoided_target_is_still_chosen_when_every_other_circuit_is_open(String algorithm) {
    List<Target> ts = targets(100, 100);
    open(ts.get(1));
    assertSame(ts.get(0), LoadBalancer.create(algorithm, ts).select("key", ts.get(0)),
        algorithm + ": the only closed target was refused because the retry avoids it");
  }

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "weighted", "least-requests", "consistent-hash"})
  void all_circuits_open_gives_no_target(String algorithm) {
    List<Target> ts = targets(100, 100, 100);
    ts.forEach(LoadBalancerTest::open);
    LoadBalancer lb = LoadBalancer.create(algorithm, ts);
    assertNull(lb.select("key", null));
    assertNull(lb.select("key", ts.get(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"round-robin", "weighted", "least-requests", "consistent-hash"})
  void half_open_target_gets_exactly_one_trial(String algorithm) {
    List<Target> ts = List.of(
        new Target("svc", "10.0.0.1:80", 100, new CircuitBreaker(1, 1), METERS), target("10.0.0.2:80", 100));
    // Opened a second ago with a 1 ms open time: half-open now.
    ts.get(0).breaker().onFailure(System.nanoTime() - 1_000_000_000L);
    Map<Target, Integer> counts = counts(LoadBalancer.create(algorithm, ts), 4000);
    assertEquals(1, counts.getOrDefault(ts.get(0), 0), algorithm + ": " + counts);
  }

  /**
   * The least-loaded target is half-open and its one trial is taken, so LeastRequests falls back to
   * scanning the others; the fallback must still pass over {@code avoid} while a third target is usable.
   */
  @Test
  void least_requests_honours_avoid_when_the_least_loaded_target_cannot_be_acquired() {
    Target avoided = target("10.0.0.1:80", 100);
    Target halfOpen = new Target("svc", "10.0.0.2:80", 100, new CircuitBreaker(1, 1), METERS);
    Target other = target("10.0.0.3:80", 100);
    avoided.started();
    other.started();
    halfOpen.breaker().onFailure(System.nanoTime() - 1_000_000_000L);
    assertTrue(halfOpen.breaker().tryAcquire(System.nanoTime()), "take the trial");
    LoadBalancer lb = LoadBalancer.create("least-requests", List.of(avoided, halfOpen, other));
    for (int i = 0; i < 3; i++) {
      Target chosen = lb.select(null, avoided);
      assertNotNull(chosen);
      assertSame(other, chosen, "pick " + i + ": chose the avoided target " + chosen
          + " although " + other + " was usable");
    }
  }
}

package io.sluice.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.ServiceDef;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Active health thresholds, how they combine with the passive circuit, and slow start. */
class ActiveHealthTest {

  private static final io.micrometer.core.instrument.MeterRegistry METERS = io.sluice.metrics.Meters.detached();
  private static final long MS = 1_000_000L;

  private static ServiceDef.HealthCheck check(int healthy, int unhealthy, long slowStartMs) {
    return new ServiceDef.HealthCheck("http", "/", null, 1000, 100, healthy, unhealthy, List.of(), slowStartMs);
  }

  private static Target target(String address, ActiveHealth health, long slowStartMs) {
    return new Target("svc", address, 100, new CircuitBreaker(1, 100), METERS, health, slowStartMs);
  }

  @Test
  void out_after_the_unhealthy_threshold_and_back_after_the_healthy_threshold() {
    ActiveHealth h = new ActiveHealth(check(2, 3, 0));
    assertTrue(h.up(), "a target starts in service");
    assertFalse(h.record(false, "status 503", 1));
    assertFalse(h.record(false, "status 503", 2));
    assertTrue(h.up(), "two failures of three");
    assertFalse(h.record(true, "status 200", 3));
    assertFalse(h.record(false, "status 503", 4));
    assertFalse(h.record(false, "status 503", 5));
    assertTrue(h.up(), "a success in between restarts the count");
    assertTrue(h.record(false, "connection refused", 6), "the third failure in a row takes it out");
    assertFalse(h.up());
    assertEquals("connection refused", h.last());
    assertFalse(h.record(true, "status 200", 7));
    assertFalse(h.up(), "one good probe of two");
    assertTrue(h.record(true, "status 200", 8), "the second good probe in a row puts it back");
    assertTrue(h.up());
    assertEquals(8, h.upSince());
  }

  @Test
  void either_health_takes_a_target_out_and_both_must_agree_to_put_it_back() {
    ActiveHealth h = new ActiveHealth(check(1, 1, 0));
    Target t = target("10.0.0.1:80", h, 0);
    long now = System.nanoTime();
    assertTrue(t.acquire(now, true));
    h.record(false, "status 500", now);
    assertFalse(t.acquire(now, true), "the active check took it out");
    assertFalse(t.healthy(now));

    h.record(true, "status 200", now);
    t.breaker().onFailure(now);
    assertFalse(t.acquire(now, true), "the circuit took it out though the probes are good");
    assertFalse(t.healthy(now));

    h.record(false, "status 500", now);
    long halfOpen = now + 200 * MS;
    assertFalse(t.acquire(halfOpen, true), "no circuit trial while the active check has it out");
    h.record(true, "status 200", now);
    assertTrue(t.acquire(halfOpen, true), "both agree: the trial request goes");
    t.breaker().onSuccess();
    assertTrue(t.healthy(System.nanoTime()));
  }

  @Test
  void a_returning_target_ramps_up_over_its_slow_start() {
    ActiveHealth h = new ActiveHealth(check(1, 1, 1000));
    Target slow = target("10.0.0.1:80", h, 1000);
    Target steady = target("10.0.0.2:80", null, 0);
    LoadBalancer lb = LoadBalancer.create("round-robin", List.of(slow, steady));
    h.record(false, "down", System.nanoTime());
    h.record(true, "up", System.nanoTime());
    assertTrue(slow.rampRemaining(System.nanoTime()) > 900 * MS);
    int toSlow = 0;
    for (int i = 0; i < 2000; i++) {
      if (lb.select(null, null) == slow) {
        toSlow++;
      }
    }
    assertTrue(toSlow < 300, "just back: far below its half of the traffic (" + toSlow + " of 2000)");

    long later = System.nanoTime() + 2000 * MS;
    assertEquals(0, slow.rampRemaining(later));
    int admitted = 0;
    for (int i = 0; i < 1000; i++) {
      admitted += slow.acquire(later, true) ? 1 : 0;
    }
    assertEquals(1000, admitted, "past its slow start it takes its full share");
  }

  @Test
  void a_target_in_slow_start_still_serves_when_it_is_the_only_one() {
    ActiveHealth h = new ActiveHealth(check(1, 1, 3_600_000));
    Target only = target("10.0.0.1:80", h, 3_600_000);
    h.record(false, "down", System.nanoTime());
    h.record(true, "up", System.nanoTime());
    LoadBalancer lb = LoadBalancer.create("least-requests", List.of(only));
    for (int i = 0; i < 50; i++) {
      assertSame(only, lb.select(null, null));
    }
    h.record(false, "down", System.nanoTime());
    assertNull(lb.select(null, null), "out of service: no target");
  }
}

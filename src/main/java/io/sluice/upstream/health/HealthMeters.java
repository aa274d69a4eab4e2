package io.sluice.upstream.health;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.upstream.Target;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.sluice.metrics.Meters;

/**
 * {@value #TARGET_HEALTHY} per target and {@value #PROBES} per service. A gauge is bound once per
 * (service, target) to the node's current target of that name (Micrometer ignores a second gauge with the same
 * id, and a reconfiguration builds new Target objects), so it reads the target routes send to now. A target
 * that is gone (service deleted, address dropped by discovery) has its gauge taken out of the registry, so that
 * addresses coming and going do not grow /metrics.
 */
final class HealthMeters {

  static final String TARGET_HEALTHY = Meters.TARGET_HEALTHY;
  static final String PROBES = Meters.HEALTH_PROBES;

  private final MeterRegistry registry;
  /** "service target" to the node's current target of that name. */
  private final Map<String, Target> current = new ConcurrentHashMap<>();
  /** "service target" to its gauge, while the target is current. */
  private final Map<String, Gauge> gauges = new ConcurrentHashMap<>();
  private final Map<String, Counter> probes = new ConcurrentHashMap<>();

  HealthMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Points the gauge of (service, target) at {@code target}, registering it the first time. */
  void bind(String service, Target target) {
    String key = service + " " + target.address();
    if (current.put(key, target) == null && !gauges.containsKey(key)) {
      // Registered again, the registry answers the gauge it holds (by id: a search would walk every meter).
      gauges.put(key, Gauge.builder(TARGET_HEALTHY, current, m -> {
            Target t = m.get(key);
            return t == null ? Double.NaN : t.healthy(System.nanoTime()) ? 1 : 0;
          })
          .description("1 while the target is in service on this node (active check up, circuit closed)")
          .tags("service", service, "target", target.address()).register(registry));
    }
  }

  /** Forgets the targets not in {@code live} and takes their gauges out of the registry. */
  void retain(java.util.Set<String> live) {
    current.keySet().retainAll(live);
    gauges.entrySet().removeIf(e -> {
      if (live.contains(e.getKey())) {
        return false;
      }
      registry.remove(e.getValue());
      return true;
    });
  }

  void probed(String service, boolean ok) {
    probes.computeIfAbsent(service + (ok ? " success" : " failure"), k -> Counter.builder(PROBES)
        .description("Active health probes sent by this node").tags("service", service, "result", ok ? "success" : "failure")
        .register(registry)).increment();
  }
}

package io.sluice.upstream.discovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.upstream.Upstream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import io.sluice.metrics.Meters;

/**
 * {@value #TARGETS} (the targets a discovered service has now), {@value #CHANGES} and {@value #FAILURES} per
 * service. The gauge reads the node's current runtime form of the service (bound once, see HealthMeters).
 */
final class DiscoveryMeters {

  static final String TARGETS = Meters.DISCOVERED_TARGETS;
  static final String CHANGES = Meters.DISCOVERY_CHANGES;
  static final String FAILURES = Meters.DISCOVERY_FAILURES;

  private final MeterRegistry registry;
  private final Map<String, Upstream> current = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  /** Services whose targets gauge this object registered. */
  private final java.util.Set<String> gauged = ConcurrentHashMap.newKeySet();

  DiscoveryMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  void bind(Upstream u) {
    // Once per service (the gauge stays while the service leaves and comes back; registering it again would log
    // Micrometer's warning, and a search of the registry for it would walk every meter).
    if (current.put(u.name(), u) == null && gauged.add(u.name())) {
      String service = u.name();
      Gauge.builder(TARGETS, current, m -> {
            Upstream now = m.get(service);
            return now == null ? Double.NaN : now.targets().size();
          })
          .description("Targets of a service with discovered (DNS, SRV, Kubernetes) targets on this node now")
          .tag("service", service).register(registry);
    }
  }

  void retain(java.util.Set<String> services) {
    current.keySet().retainAll(services);
  }

  void changed(String service) {
    counter(CHANGES, service, "Target sets changed by discovery (no configuration version)").increment();
  }

  void failed(String service) {
    counter(FAILURES, service, "Failed discovery lookups (the targets found before are kept)").increment();
  }

  private Counter counter(String name, String service, String description) {
    return counters.computeIfAbsent(name + " " + service, k -> Counter.builder(name).description(description)
        .tag("service", service).register(registry));
  }
}

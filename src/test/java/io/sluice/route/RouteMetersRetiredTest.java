package io.sluice.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.GatewayConfig;
import io.sluice.config.RouteDef;
import io.sluice.metrics.Meters;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Routes and targets that are gone take their series out of the registry, so that a configuration that
 * churns (routes added and deleted all day) does not grow the registry and /metrics without bound; series
 * of what stays are kept, with their counts.
 */
class RouteMetersRetiredTest {

  private final MeterRegistry registry = Meters.detached();
  private final LiveRoutes live = new LiveRoutes();
  private final RouteBuilder builder = new RouteBuilder(live, registry, () -> null);

  /** A request answered on each route of the table served (a route's series exist from its first request). */
  private void called() {
    for (Route r : live.current().routes()) {
      r.meters().record(200, 2_000_000, 1_000_000);
    }
  }

  private static GatewayConfig config(String routes, String targets) {
    return DeclarativeConfig.parse("""
        format_version: 1
        services:
          - name: a
            targets: [%s]
          - name: b
            targets: [{address: "127.0.0.1:9"}]
        routes:
        %s
        """.formatted(targets, routes));
  }

  private long routeSeries(String route) {
    return registry.find(Meters.REQUESTS).tag("route", route).counters().size()
        + registry.find(Meters.REQUEST_DURATION).tag("route", route).timers().size();
  }

  @Test
  void a_table_of_many_routes_costs_series_only_for_the_routes_called() {
    StringBuilder routes = new StringBuilder();
    for (int i = 0; i < 2_000; i++) {
      routes.append("  - {name: r").append(i).append(", service: a, paths: [\"/r").append(i).append("\"]}\n");
    }
    builder.apply(config(routes.toString(), "{address: \"127.0.0.1:7\"}"), List.of());
    assertEquals(0, registry.find(Meters.REQUEST_DURATION).timers().size(), "no route called yet");
    live.current().route("r7").meters().record(200, 2_000_000, 1_000_000);
    assertEquals(1, registry.find(Meters.REQUEST_DURATION).timers().size());
    assertEquals(6, routeSeries("r7"));
  }

  @Test
  void deleted_and_moved_routes_and_removed_targets_leave_the_registry() {
    String targets = "{address: \"127.0.0.1:7\"}, {address: \"127.0.0.1:8\"}";
    builder.apply(config("""
          - {name: keep, service: a, paths: ["/k"]}
          - {name: gone, service: a, paths: ["/g"]}
          - {name: moves, service: a, paths: ["/m"]}
        """, targets), List.of());
    assertEquals(0, routeSeries("gone"), "a route never called has no series");
    called();
    registry.find(Meters.REQUESTS).tags("route", "keep", "status", "2xx").counter().increment(2);
    assertEquals(6, routeSeries("gone"), "five status classes and the duration");
    assertNotNull(registry.find(Meters.UPSTREAM_REQUESTS).tags("service", "a", "target", "127.0.0.1:8").counter());

    builder.apply(config("""
          - {name: keep, service: a, paths: ["/k", "/k2"]}
          - {name: moves, service: b, paths: ["/m"]}
        """, "{address: \"127.0.0.1:7\"}"), List.of());
    called();
    assertEquals(0, routeSeries("gone"), "a deleted route's series are removed");
    assertEquals(4.0, registry.find(Meters.REQUESTS).tags("route", "keep", "status", "2xx").counter().count(),
        "a changed route keeps its series and counts (3 before the change, 1 after)");
    assertNull(registry.find(Meters.REQUESTS).tags("route", "moves", "service", "a").counter(),
        "the series of the service a route left are removed");
    assertNotNull(registry.find(Meters.REQUESTS).tags("route", "moves", "service", "b").counter());
    assertNull(registry.find(Meters.UPSTREAM_REQUESTS).tags("service", "a", "target", "127.0.0.1:8").counter(),
        "a removed target's series are removed");
    assertNull(registry.find(Meters.UPSTREAM_CONNECTIONS_OPEN).tags("service", "a", "target", "127.0.0.1:8").gauge());
    assertNotNull(registry.find(Meters.UPSTREAM_REQUESTS).tags("service", "a", "target", "127.0.0.1:7").counter(),
        "a target that stays keeps its series");
  }

  /** Counts the walks over every meter of the registry: what a search by name and tags costs. */
  private static final class WalkCounting extends SimpleMeterRegistry {
    int walks;

    @Override
    public List<Meter> getMeters() {
      walks++;
      return super.getMeters();
    }

    @Override
    public void forEachMeter(Consumer<? super Meter> consumer) {
      walks++;
      super.forEachMeter(consumer);
    }
  }

  /**
   * Found in the hitless benchmark (10,000 routes, half of them called, 50 changes a second): every retired route
   * searched the registry four times, each search a walk over all of its meters (a copy of tens of thousands), and the
   * nodes fell a minute behind the database. Builds and patches take series out and put them in by id alone.
   */
  @Test
  void builds_and_patches_never_walk_the_registry() {
    WalkCounting counting = new WalkCounting();
    LiveRoutes served = new LiveRoutes();
    RouteBuilder b = new RouteBuilder(served, counting, () -> null);
    StringBuilder routes = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      routes.append("  - {name: r").append(i).append(", service: a, paths: [\"/r").append(i).append("\"]}\n");
    }
    String targets = "{address: \"127.0.0.1:7\"}, {address: \"127.0.0.1:8\"}";
    b.apply(config(routes.toString(), targets), List.of());
    for (Route r : served.current().routes()) {
      r.meters().record(200, 2_000_000, 1_000_000);
    }
    counting.walks = 0;

    // A whole build: r0 to r99 deleted, r100 moved to service b, a target removed.
    String kept = routes.substring(routes.indexOf("  - {name: r100,")).replace("{name: r100, service: a",
        "{name: r100, service: b");
    b.apply(config(kept, "{address: \"127.0.0.1:7\"}"), List.of());
    // A patch: r200 deleted, r300 added.
    GatewayConfig next = config(kept.replace("  - {name: r200, service: a, paths: [\"/r200\"]}\n", "")
        + "  - {name: r300, service: a, paths: [\"/r300\"]}\n", "{address: \"127.0.0.1:7\"}");
    RouteDef added = next.routes().stream().filter(r -> r.name().equals("r300")).findFirst().orElseThrow();
    assertNotNull(b.patch(next, List.of("r200"), List.of(added)), "a patch, not a whole build");

    assertEquals(0, counting.walks, "walks over the whole registry while building and patching");
    assertEquals(0, counting.find(Meters.REQUESTS).tag("route", "r0").counters().size(), "r0's series are gone");
    assertEquals(0, counting.find(Meters.REQUESTS).tag("route", "r200").counters().size(), "r200's too");
    assertNull(counting.find(Meters.REQUESTS).tags("route", "r100", "service", "a").counter(), "r100 left a");
    assertNull(counting.find(Meters.UPSTREAM_CONNECTIONS_OPEN).tags("service", "a", "target", "127.0.0.1:8").gauge());
    assertNotNull(counting.find(Meters.UPSTREAM_CONNECTIONS_OPEN).tags("service", "a", "target", "127.0.0.1:7").gauge());
  }
}

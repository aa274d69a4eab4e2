package io.sluice.upstream.health;

import io.sluice.config.ServiceDef;
import io.sluice.upstream.ActiveHealth;
import io.sluice.upstream.Target;
import io.sluice.upstream.Upstream;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Locale;

/** The health of a service's targets on this node, as {@code GET /services/{name}/health} answers it. */
public final class HealthReport {

  private HealthReport() {}

  /**
   * The report of the service named {@code name} among {@code upstreams} with its tenant's id, or null when the
   * node has none.
   */
  public static <T> T of(Collection<Upstream> upstreams, String name,
                         java.util.function.BiFunction<String, JsonObject, T> withTenantId) {
    for (Upstream u : upstreams) {
      if (u.name().equals(name)) {
        return withTenantId.apply(u.tenantId(), of(u));
      }
    }
    return null;
  }

  /**
   * This node's view of the services whose targets are watched (a health check) or found (DNS, SRV,
   * Kubernetes), for {@code GET /cluster}: per service its targets as they are now, each with its address,
   * the name it was found under and whether it is in service. A discovered target set is no configuration
   * change, so this (and the metrics) is where it shows.
   */
  public static JsonArray watched(Collection<Upstream> upstreams) {
    long now = System.nanoTime();
    JsonArray services = new JsonArray();
    for (Upstream u : upstreams) {
      boolean discovered = discovered(u);
      if (!discovered && u.healthCheck() == null) {
        continue;
      }
      JsonArray targets = new JsonArray();
      int healthy = 0;
      for (Target t : u.targets()) {
        boolean in = t.healthy(now);
        healthy += in && t.weight() > 0 ? 1 : 0;
        targets.add(new JsonObject().put("address", t.address()).put("host", t.host()).put("healthy", in));
      }
      services.add(new JsonObject().put("service", u.name()).put("health_check", u.healthCheck() != null)
          .put("discovered", discovered).put("healthy_targets", healthy).put("targets", targets));
    }
    return services;
  }

  /** Whether some target of {@code u} is found by discovery (srv://, k8s://, or a name resolved to an address). */
  private static boolean discovered(Upstream u) {
    for (ServiceDef.Target d : u.declared()) {
      if (Upstream.discoveredOnly(d.address())) {
        return true;
      }
    }
    for (Target t : u.targets()) {
      if (!t.address().contains(t.host() + ":")) {
        return true; // its address is the IP its host name resolved to
      }
    }
    return false;
  }

  public static JsonObject of(Upstream u) {
    long now = System.nanoTime();
    JsonArray targets = new JsonArray();
    int healthy = 0;
    for (Target t : u.targets()) {
      boolean in = t.healthy(now);
      healthy += in && t.weight() > 0 ? 1 : 0;
      JsonObject o = new JsonObject().put("address", t.address()).put("host", t.host()).put("weight", t.weight())
          .put("healthy", in)
          .put("circuit", t.breaker().state(now).name().toLowerCase(Locale.ROOT)).put("in_flight", t.inFlight());
      ActiveHealth a = t.active();
      if (a != null) {
        o.put("active", new JsonObject().put("up", a.up()).put("successes", a.successes())
            .put("failures", a.failures()).put("probes", a.probes()).put("last", a.last()));
      }
      long ramp = t.rampRemaining(now);
      if (ramp > 0) {
        o.put("slow_start_remaining_ms", ramp / 1_000_000L);
      }
      targets.add(o);
    }
    ServiceDef.HealthCheck hc = u.healthCheck();
    return new JsonObject().put("service", u.name()).put("health_check", hc != null)
        .put("healthy_targets", healthy).put("targets", targets);
  }
}

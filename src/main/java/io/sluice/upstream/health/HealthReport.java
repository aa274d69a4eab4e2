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

  /** The report of the service named {@code name} among {@code upstreams}, or null when the node has none. */
  public static JsonObject of(Collection<Upstream> upstreams, String name) {
    for (Upstream u : upstreams) {
      if (u.name().equals(name)) {
        return of(u);
      }
    }
    return null;
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

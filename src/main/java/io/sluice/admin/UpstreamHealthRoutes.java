package io.sluice.admin;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code GET /services/{name}/health}: the health of a service's targets as this node sees them (active
 * check, circuit, slow start). Each node probes on its own, so each answers for itself. A tenant token sees its
 * own tenant's services only: another's is 404, as on every other verb.
 */
final class UpstreamHealthRoutes {

  private UpstreamHealthRoutes() {}

  /** {@code report}: the service's report by name, or null when the node serves no such service. */
  static void mount(Router router, String nodeName, Function<String, AdminVerticle.ServiceHealth> report) {
    router.get("/services/:name/health").handler(rc -> {
      String name = rc.pathParam("name");
      AdminVerticle.ServiceHealth r = report.apply(name);
      Principal p = Principal.of(rc);
      if (r == null || !p.operator() && (r.tenantId() == null || !p.owns(UUID.fromString(r.tenantId())))) {
        Replies.error(rc, 404, "not_found", "this node serves no service named " + name);
      } else {
        Replies.json(rc, 200, r.body().put("node", nodeName));
      }
    });
  }
}

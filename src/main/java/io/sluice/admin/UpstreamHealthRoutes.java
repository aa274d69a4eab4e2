package io.sluice.admin;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.Function;

/**
 * {@code GET /services/{name}/health}: the health of a service's targets as this node sees them (active
 * check, circuit, slow start). Each node probes on its own, so each answers for itself.
 */
final class UpstreamHealthRoutes {

  private UpstreamHealthRoutes() {}

  /** {@code report}: the service's report by name, or null when the node serves no such service. */
  static void mount(Router router, String nodeName, Function<String, JsonObject> report) {
    router.get("/services/:name/health").handler(rc -> {
      String name = rc.pathParam("name");
      JsonObject r = report.apply(name);
      if (r == null) {
        Replies.error(rc, 404, "not_found", "this node serves no service named " + name);
      } else {
        Replies.json(rc, 200, r.put("node", nodeName));
      }
    });
  }
}

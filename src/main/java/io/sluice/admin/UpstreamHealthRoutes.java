package io.sluice.admin;

import io.sluice.config.EntityType;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code GET /services/{name or id}/health}: the health of a service's targets as this node sees them (active
 * check, circuit, slow start). Each node probes on its own, so each answers for itself. A service is named by name
 * or by id, as on every other /services/{id} path (a service name never has the form of an id); an id is looked up
 * in the store. A tenant token sees its own tenant's services only: another's is 404, as on every other verb.
 */
final class UpstreamHealthRoutes {

  private UpstreamHealthRoutes() {}

  /** {@code report}: the service's report by name, or null when the node serves no such service. */
  static void mount(Router router, AdminContext context, String nodeName,
                    Function<String, AdminVerticle.ServiceHealth> report) {
    router.get("/services/:name/health").handler(rc -> {
      String given = rc.pathParam("name");
      nameOf(context, given).onComplete(ar -> {
        if (ar.failed()) {
          Replies.failure(rc, ar.cause());
          return;
        }
        AdminVerticle.ServiceHealth r = ar.result() == null ? null : report.apply(ar.result());
        Principal p = Principal.of(rc);
        if (r == null || !p.operator() && (r.tenantId() == null || !p.owns(UUID.fromString(r.tenantId())))) {
          Replies.error(rc, 404, "not_found", "this node serves no service " + given);
        } else {
          Replies.json(rc, 200, r.body().put("node", nodeName));
        }
      });
    });
  }

  /** The name of the service {@code given} names: itself, or, for an id, the stored service's (null: none). */
  private static Future<String> nameOf(AdminContext context, String given) {
    UUID id = id(given);
    if (id == null || !context.storeEnabled()) {
      return Future.succeededFuture(given);
    }
    return context.entities().read(EntityType.SERVICE, id)
        .map(service -> service == null ? null : service.getString("name"));
  }

  /** The id {@code s} is, in its canonical form, or null. */
  private static UUID id(String s) {
    try {
      UUID id = UUID.fromString(s);
      return id.toString().equalsIgnoreCase(s) ? id : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}

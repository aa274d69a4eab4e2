package io.sluice.admin;

import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.store.EntityStore;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.UUID;

/**
 * The tenant check of sub-resources ({@code /consumers/{id}/keys}, {@code /consumers/{id}/jwt},
 * {@code /tenants/{name or id}/stream-tokens}) before their handlers: with a tenant token, the parent must be of its
 * tenant, otherwise it does not exist (404, the same answer as an unknown id).
 */
final class TenantScope {

  private static final String PATH_TENANT = "sluice.pathTenant";

  private final EntityStore store;

  TenantScope(EntityStore store) {
    this.store = store;
  }

  void check(RoutingContext rc, EntityType parent, String noun) {
    Principal p = Principal.of(rc);
    if (p.operator()) {
      rc.next();
      return;
    }
    UUID id;
    try {
      id = parent == EntityType.TENANT ? pathTenant(rc) : Requests.id(rc, "id", noun);
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    store.tenantOf(parent, id).onComplete(ar -> {
      if (ar.failed()) {
        Replies.failure(rc, ar.cause());
      } else if (ar.result() == null || !p.owns(ar.result())) {
        // Named as the path named it: a tenant's name never answers with its id.
        Replies.error(rc, ApiException.notFound(noun + " " + rc.pathParam("id")));
      } else {
        rc.next();
      }
    });
  }

  /**
   * First on {@code /tenants/{name or id}/...}: a tenant named by name is looked up and its id kept for the handlers
   * after ({@link #pathTenant}); 404 when no tenant has that name. An id is left to them.
   */
  void tenantOfPath(RoutingContext rc) {
    String given = rc.pathParam("id");
    if (Requests.readAsId(given)) {
      rc.next();
      return;
    }
    store.find(EntityType.TENANT, given).onComplete(ar -> {
      if (ar.failed()) {
        Replies.failure(rc, ar.cause());
      } else if (ar.result() == null) {
        Replies.error(rc, ApiException.notFound("tenant " + given));
      } else {
        rc.put(PATH_TENANT, ar.result());
        rc.next();
      }
    });
  }

  /** The id of the tenant of a {@code /tenants/{name or id}/...} path ({@link #tenantOfPath} ran first). */
  static UUID pathTenant(RoutingContext rc) {
    UUID named = rc.get(PATH_TENANT);
    return named != null ? named : Requests.id(rc, "id", "tenant");
  }

  /**
   * The {@code ?tenant=} of a list, checked before listing: a tenant by its name as written or its id (in any case).
   * One that names no tenant is 400 naming {@code tenant}, never an empty page that reads as "this tenant has none";
   * with a tenant token another tenant does not exist, and is answered exactly so. A name that differs from a
   * tenant's only by case is pointed to (only its own to a tenant token).
   */
  static Future<Void> filter(EntityStore store, Principal p, String tenant) {
    if (tenant == null) {
      return Future.succeededFuture();
    }
    if (!p.operator()) {
      return p.owns(tenant) ? Future.succeededFuture()
          : Future.failedFuture(noTenant(tenant, tenant.equalsIgnoreCase(p.tenantName()) ? p.tenantName() : null));
    }
    return store.adminTokens().tenantId(tenant).compose(id -> id != null ? Future.<Void>succeededFuture()
        : store.tenantNameAnyCase(tenant).compose(name -> Future.failedFuture(noTenant(tenant, name))));
  }

  private static ApiException noTenant(String tenant, String sameButCase) {
    return ApiException.invalid(List.of(new FieldError("tenant", "no tenant '" + tenant + "'" + (sameButCase == null
        ? " (a tenant's name as written, or its id)"
        : ": tenant names are matched as written; did you mean '" + sameButCase + "'?"))));
  }
}

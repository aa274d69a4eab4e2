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
 * {@code /tenants/{id}/stream-tokens}) before their handlers: with a tenant token, the parent must be of its
 * tenant, otherwise it does not exist (404, the same answer as an unknown id).
 */
final class TenantScope {

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
      id = Requests.id(rc, "id", noun);
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    store.tenantOf(parent, id).onComplete(ar -> {
      if (ar.failed()) {
        Replies.failure(rc, ar.cause());
      } else if (ar.result() == null || !p.owns(ar.result())) {
        Replies.error(rc, ApiException.notFound(noun + " " + id));
      } else {
        rc.next();
      }
    });
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

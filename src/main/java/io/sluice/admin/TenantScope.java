package io.sluice.admin;

import io.sluice.config.EntityType;
import io.sluice.store.EntityStore;
import io.vertx.ext.web.RoutingContext;
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
}

package io.sluice.admin;

import io.sluice.bus.Addresses;
import io.sluice.credential.StreamTokens;
import io.vertx.core.Vertx;
import io.sluice.store.StreamTokenStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * A tenant's stream tokens (/tenants/{id}/stream-tokens), what tenants present to /v1/stream: generated
 * here, answered once in the 201 of their creation, stored as an HMAC-SHA-256 digest and a readable prefix.
 * Deleting one closes the sockets opened with it on every node (close code 4401).
 */
final class StreamTokenRoutes {

  private static final String PATH = "/tenants/:id/stream-tokens";

  private final StreamTokenStore store;
  private final String hmacSecret;
  private final Vertx vertx;
  private final Paging paging;

  StreamTokenRoutes(Vertx vertx, StreamTokenStore store, String hmacSecret) {
    this.vertx = vertx;
    this.store = store;
    this.hmacSecret = hmacSecret;
    this.paging = new Paging(hmacSecret);
  }

  void mount(Router router) {
    router.get(PATH).handler(rc -> CrudHandler.run(rc, () -> list(rc)));
    router.post(PATH).handler(rc -> CrudHandler.run(rc, () -> create(rc)));
    router.delete(PATH + "/:tokenId").handler(rc -> CrudHandler.run(rc, () -> delete(rc)));
  }

  private Future<?> list(RoutingContext rc) {
    UUID tenant = Requests.id(rc, "id", "tenant");
    Paging.Page page = paging.page(rc, "stream_tokens");
    return tenantExists(tenant).compose(v -> store.list(tenant, page.after(), page.limit()))
        .onSuccess(slice -> Replies.json(rc, 200, paging.answer(rc, "stream_tokens", slice, page)));
  }

  private Future<?> create(RoutingContext rc) {
    UUID tenant = Requests.id(rc, "id", "tenant");
    String token = StreamTokens.generate();
    return tenantExists(tenant)
        .compose(v -> store.create(tenant, StreamTokens.shown(token), StreamTokens.digest(token, hmacSecret)))
        .onSuccess(created -> {
          JsonObject body = created.put("token", token);
          rc.response().putHeader("Location", "/tenants/" + tenant + "/stream-tokens/" + body.getString("id"))
              .putHeader("Cache-Control", "no-store");
          Replies.json(rc, 201, body);
        });
  }

  private Future<?> delete(RoutingContext rc) {
    UUID tenant = Requests.id(rc, "id", "tenant");
    UUID id = Requests.id(rc, "tokenId", "stream token");
    return store.delete(tenant, id).map(digest -> {
          if (digest == null) {
            throw ApiException.notFound("stream token " + id + " of tenant " + tenant);
          }
          // Every node (this one included) closes the sockets opened with it.
          vertx.eventBus().publish(Addresses.STREAM_TOKEN_REVOKED, digest);
          return null;
        })
        .onSuccess(v -> rc.response().setStatusCode(204).end());
  }

  private Future<Void> tenantExists(UUID tenant) {
    return store.tenantExists(tenant).map(exists -> {
      if (!exists) {
        throw ApiException.notFound("tenant " + tenant);
      }
      return null;
    });
  }
}

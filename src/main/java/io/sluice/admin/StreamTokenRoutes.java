package io.sluice.admin;

import io.sluice.credential.StreamTokens;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * A tenant's stream tokens (/tenants/{id}/stream-tokens), what tenants present to /v1/stream: generated
 * here, answered once in the 201 of their creation, stored as an HMAC-SHA-256 digest and a readable prefix.
 */
final class StreamTokenRoutes {

  private static final String PATH = "/tenants/:id/stream-tokens";
  private static final String COLUMNS = "select id, tenant_id, token_prefix, created_at from stream_tokens";

  private final Pool pool;
  private final String hmacSecret;

  StreamTokenRoutes(Pool pool, String hmacSecret) {
    this.pool = pool;
    this.hmacSecret = hmacSecret;
  }

  void mount(Router router) {
    router.get(PATH).handler(rc -> CrudHandler.run(rc, () -> list(rc)));
    router.post(PATH).handler(rc -> CrudHandler.run(rc, () -> create(rc)));
    router.delete(PATH + "/:tokenId").handler(rc -> CrudHandler.run(rc, () -> delete(rc)));
  }

  private Future<?> list(RoutingContext rc) {
    UUID tenant = Requests.id(rc, "id", "tenant");
    return tenantExists(tenant)
        .compose(v -> pool.preparedQuery(COLUMNS + " where tenant_id = $1 order by created_at, id")
            .execute(Tuple.of(tenant)))
        .onSuccess(rows -> {
          JsonArray data = new JsonArray();
          rows.forEach(row -> data.add(json(row)));
          Replies.json(rc, 200, new JsonObject().put("data", data));
        });
  }

  private Future<?> create(RoutingContext rc) {
    UUID tenant = Requests.id(rc, "id", "tenant");
    String token = StreamTokens.generate();
    return tenantExists(tenant)
        .compose(v -> pool.preparedQuery("insert into stream_tokens (tenant_id, token_prefix, token_digest)"
                + " values ($1, $2, $3) returning id, tenant_id, token_prefix, created_at")
            .execute(Tuple.of(tenant, StreamTokens.shown(token),
                Buffer.buffer(StreamTokens.digest(token, hmacSecret)))))
        .onSuccess(rows -> {
          JsonObject body = json(rows.iterator().next()).put("token", token);
          rc.response().putHeader("Location", "/tenants/" + tenant + "/stream-tokens/" + body.getString("id"))
              .putHeader("Cache-Control", "no-store");
          Replies.json(rc, 201, body);
        });
  }

  private Future<?> delete(RoutingContext rc) {
    UUID tenant = Requests.id(rc, "id", "tenant");
    UUID id = Requests.id(rc, "tokenId", "stream token");
    return pool.preparedQuery("delete from stream_tokens where id = $1 and tenant_id = $2 returning id")
        .execute(Tuple.of(id, tenant)).map(rows -> {
          if (rows.size() == 0) {
            throw ApiException.notFound("stream token " + id + " of tenant " + tenant);
          }
          return null;
        })
        .onSuccess(v -> rc.response().setStatusCode(204).end());
  }

  private Future<Void> tenantExists(UUID tenant) {
    return pool.preparedQuery("select 1 from tenants where id = $1").execute(Tuple.of(tenant)).map(rows -> {
      if (rows.size() == 0) {
        throw ApiException.notFound("tenant " + tenant);
      }
      return null;
    });
  }

  private static JsonObject json(Row row) {
    return new JsonObject().put("id", row.getUUID("id").toString())
        .put("tenant", row.getUUID("tenant_id").toString())
        .put("prefix", row.getString("token_prefix"))
        .put("created_at", row.getOffsetDateTime("created_at").toString());
  }
}

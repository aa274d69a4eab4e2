package io.sluice.admin;

import io.sluice.store.ApiKeys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * A consumer's API keys (/consumers/{id}/keys): Sluice generates each key, answers it once in the 201 of
 * its creation and stores only its HMAC-SHA-256 digest and readable prefix. Keys are never logged.
 */
final class KeyRoutes {

  private static final String PATH = "/consumers/:id/keys";
  private static final String SELECT = "select jsonb_build_object('id', x.id, 'version', x.version,"
      + " 'updated_at', x.updated_at, 'consumer', x.consumer_id, 'kind', x.kind, 'prefix', x.key_prefix)::text"
      + " from credentials x where x.kind = 'api-key' and x.consumer_id = $1";
  private static final String INSERT = "insert into credentials (consumer_id, kind, key_prefix, key_digest)"
      + " values ($1, 'api-key', $2, $3) returning id";

  private final Pool pool;
  private final String hmacSecret;

  KeyRoutes(Pool pool, String hmacSecret) {
    this.pool = pool;
    this.hmacSecret = hmacSecret;
  }

  void mount(Router router) {
    router.get(PATH).handler(rc -> CrudHandler.run(rc, () -> list(rc)));
    router.post(PATH).handler(rc -> CrudHandler.run(rc, () -> create(rc)));
    router.get(PATH + "/:keyId").handler(rc -> CrudHandler.run(rc, () -> read(rc)));
    router.delete(PATH + "/:keyId").handler(rc -> CrudHandler.run(rc, () -> delete(rc)));
  }

  private Future<?> list(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    Requests.Page page = Requests.page(rc);
    return consumerExists(pool, consumer)
        .compose(v -> pool.preparedQuery(SELECT + " order by x.created_at, x.id limit $2 offset $3")
            .execute(Tuple.of(consumer, page.limit() + 1, page.offset())))
        .onSuccess(rows -> Replies.json(rc, 200, CrudHandler.page(rc, rows, page, null)));
  }

  private Future<?> read(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID key = Requests.id(rc, "keyId", "key");
    return fetch(pool, consumer, key).onSuccess(json -> Replies.entity(rc, 200, json));
  }

  private Future<?> create(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    String key = ApiKeys.generate();
    byte[] digest = ApiKeys.digest(key, hmacSecret);
    return Store.write(pool, conn -> consumerExists(conn, consumer)
            .compose(v -> conn.preparedQuery(INSERT).execute(Tuple.of(consumer, ApiKeys.shown(key),
                io.vertx.core.buffer.Buffer.buffer(digest))))
            .compose(rows -> fetch(conn, consumer, rows.iterator().next().getUUID(0))))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> {
          JsonObject body = w.value().copy().put("key", key);
          rc.response().putHeader("Location", "/consumers/" + consumer + "/keys/" + w.value().getString("id"))
              .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()))
              .putHeader("Cache-Control", "no-store");
          Replies.entity(rc, 201, body);
        }));
  }

  private Future<?> delete(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID key = Requests.id(rc, "keyId", "key");
    return Store.write(pool, conn -> conn.preparedQuery(
                "delete from credentials where id = $1 and consumer_id = $2 and kind = 'api-key' returning id")
            .execute(Tuple.of(key, consumer)).map(rows -> {
              if (rows.size() == 0) {
                throw ApiException.notFound("key " + key + " of consumer " + consumer);
              }
              return null;
            }))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> rc.response().setStatusCode(204)
            .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version())).end()));
  }

  private static Future<Void> consumerExists(SqlClient client, UUID consumer) {
    return client.preparedQuery("select 1 from consumers where id = $1").execute(Tuple.of(consumer))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ApiException.notFound("consumer " + consumer);
          }
          return null;
        });
  }

  private static Future<JsonObject> fetch(SqlClient client, UUID consumer, UUID key) {
    return client.preparedQuery(SELECT + " and x.id = $2").execute(Tuple.of(consumer, key)).map(rows -> {
      if (rows.size() == 0) {
        throw ApiException.notFound("key " + key + " of consumer " + consumer);
      }
      return new JsonObject(rows.iterator().next().getString(0));
    });
  }
}

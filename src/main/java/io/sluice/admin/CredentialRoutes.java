package io.sluice.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * One kind of a consumer's credentials under {@code /consumers/{id}/<segment>}: list, read and delete are the
 * same for every kind; a kind says how one is created (what it validates, generates and stores). Every write
 * answers with {@code Sluice-Config-Version} and honours {@code ?wait=true}.
 */
abstract class CredentialRoutes {

  protected final Pool pool;
  private final String kind;
  private final String segment;
  private final String idParam;
  private final String noun;
  private final String select;

  /**
   * {@code kind}: credentials.kind; {@code segment}: the path under the consumer; {@code idParam}: the path
   * parameter of one credential; {@code noun}: what errors call one; {@code fields}: the jsonb_build_object
   * arguments of the answer beyond id, version, updated_at and consumer.
   */
  CredentialRoutes(Pool pool, String kind, String segment, String idParam, String noun, String fields) {
    this.pool = pool;
    this.kind = kind;
    this.segment = segment;
    this.idParam = idParam;
    this.noun = noun;
    this.select = "select jsonb_strip_nulls(jsonb_build_object('id', x.id, 'version', x.version,"
        + " 'updated_at', x.updated_at, 'consumer', x.consumer_id, " + fields + "))::text"
        + " from credentials x where x.kind = '" + kind + "' and x.consumer_id = $1";
  }

  final void mount(Router router) {
    String path = "/consumers/:id/" + segment;
    router.get(path).handler(rc -> CrudHandler.run(rc, () -> list(rc)));
    router.post(path).handler(rc -> CrudHandler.run(rc, () -> create(rc, Requests.id(rc, "id", "consumer"))));
    router.get(path + "/:" + idParam).handler(rc -> CrudHandler.run(rc, () -> read(rc)));
    router.delete(path + "/:" + idParam).handler(rc -> CrudHandler.run(rc, () -> delete(rc)));
  }

  /** Validates, stores (in {@link Store#write}, checking {@link #consumerExists}) and answers with {@link #created}. */
  protected abstract Future<?> create(RoutingContext rc, UUID consumer);

  /** The 201 of a created credential: Location, the version header, once the cluster applied it if asked. */
  protected final void created(RoutingContext rc, UUID consumer, Store.Written<JsonObject> w, JsonObject body) {
    ClusterRoutes.answerWritten(rc, w.version(), () -> {
      rc.response().putHeader("Location", "/consumers/" + consumer + "/" + segment + "/" + w.value().getString("id"))
          .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
      Replies.entity(rc, 201, body);
    });
  }

  private Future<?> list(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    Requests.Page page = Requests.page(rc);
    return consumerExists(pool, consumer)
        .compose(v -> pool.preparedQuery(select + " order by x.created_at, x.id limit $2 offset $3")
            .execute(Tuple.of(consumer, page.limit() + 1, page.offset())))
        .onSuccess(rows -> Replies.json(rc, 200, CrudHandler.page(rc, rows, page, null)));
  }

  private Future<?> read(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID id = Requests.id(rc, idParam, noun);
    return fetch(pool, consumer, id).onSuccess(json -> Replies.entity(rc, 200, json));
  }

  private Future<?> delete(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID id = Requests.id(rc, idParam, noun);
    return Store.write(pool, conn -> conn.preparedQuery(
                "delete from credentials where id = $1 and consumer_id = $2 and kind = '" + kind + "' returning id")
            .execute(Tuple.of(id, consumer)).map(rows -> {
              if (rows.size() == 0) {
                throw ApiException.notFound(noun + " " + id + " of consumer " + consumer);
              }
              return null;
            }))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> rc.response().setStatusCode(204)
            .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version())).end()));
  }

  protected static Future<Void> consumerExists(SqlClient client, UUID consumer) {
    return client.preparedQuery("select 1 from consumers where id = $1").execute(Tuple.of(consumer))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ApiException.notFound("consumer " + consumer);
          }
          return null;
        });
  }

  protected final Future<JsonObject> fetch(SqlClient client, UUID consumer, UUID id) {
    return client.preparedQuery(select + " and x.id = $2").execute(Tuple.of(consumer, id)).map(rows -> {
      if (rows.size() == 0) {
        throw ApiException.notFound(noun + " " + id + " of consumer " + consumer);
      }
      return new JsonObject(rows.iterator().next().getString(0));
    });
  }
}

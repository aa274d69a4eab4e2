package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.admin.Resource.Ref;
import io.sluice.config.FieldError;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * List, create, read, update (PUT replaces, PATCH merges; both need If-Match) and delete for one
 * {@link Resource}. Validation and reference lookups run inside the write's transaction, so nothing
 * invalid is written and a reference cannot vanish between the check and the write.
 */
final class CrudHandler {

  private final Resource r;
  private final Pool pool;

  CrudHandler(Resource resource, Pool pool) {
    this.r = resource;
    this.pool = pool;
  }

  void mount(Router router) {
    router.get(r.path()).handler(rc -> run(rc, () -> list(rc)));
    router.post(r.path()).handler(rc -> run(rc, () -> create(rc)));
    router.get(r.path() + "/:id").handler(rc -> run(rc, () -> read(rc)));
    router.put(r.path() + "/:id").handler(rc -> run(rc, () -> update(rc, false)));
    router.patch(r.path() + "/:id").handler(rc -> run(rc, () -> update(rc, true)));
    router.delete(r.path() + "/:id").handler(rc -> run(rc, () -> delete(rc)));
  }

  /** Runs a handler; a refusal thrown while reading the request and a failed future answer alike. */
  static void run(RoutingContext rc, Supplier<Future<?>> handler) {
    try {
      if (rc.request().method() != io.vertx.core.http.HttpMethod.GET) {
        ClusterRoutes.checkWait(rc);
      }
      handler.get().onFailure(err -> Replies.failure(rc, err));
    } catch (ApiException e) {
      Replies.error(rc, e);
    }
  }

  private Future<?> list(RoutingContext rc) {
    Requests.Page page = Requests.page(rc);
    String tenant = r.tenantFilter() == null ? null : rc.queryParams().get("tenant");
    List<Object> params = new ArrayList<>();
    StringBuilder sql = new StringBuilder(r.select());
    if (tenant != null) {
      sql.append(" where ").append(r.tenantFilter());
      params.add(tenant);
    }
    sql.append(" order by x.created_at, x.id limit $").append(params.size() + 1)
        .append(" offset $").append(params.size() + 2);
    params.add(page.limit() + 1);
    params.add(page.offset());
    return pool.preparedQuery(sql.toString()).execute(Tuple.from(params))
        .onSuccess(rows -> Replies.json(rc, 200, page(rc, rows, page, tenant)));
  }

  /** One page: at most limit entities, and the URI of the next page while there is one (null after the last). */
  static JsonObject page(RoutingContext rc, Iterable<Row> rows, Requests.Page page, String tenant) {
    JsonArray data = new JsonArray();
    for (Row row : rows) {
      if (data.size() < page.limit()) {
        data.add(new JsonObject(row.getString(0)));
      }
    }
    int seen = 0;
    for (Row ignored : rows) {
      seen++;
    }
    String next = null;
    if (seen > page.limit()) {
      next = rc.request().path() + "?limit=" + page.limit() + "&offset=" + (page.offset() + page.limit())
          + (tenant == null ? "" : "&tenant=" + URLEncoder.encode(tenant, StandardCharsets.UTF_8));
    }
    return new JsonObject().put("data", data).put("next", next);
  }

  private Future<?> read(RoutingContext rc) {
    UUID id = Requests.id(rc, "id", r.noun());
    return fetch(pool, id).onSuccess(json -> Replies.entity(rc, 200, json));
  }

  private Future<?> create(RoutingContext rc) {
    ObjectNode doc = Requests.body(rc);
    return Store.write(pool, conn -> resolve(conn, doc)
            .compose(ids -> conn.preparedQuery(r.insert()).execute(params(doc, ids)))
            .compose(rows -> fetch(conn, rows.iterator().next().getUUID(0))))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> {
          rc.response().putHeader("Location", r.path() + "/" + w.value().getString("id"))
              .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
          Replies.entity(rc, 201, w.value());
        }));
  }

  private Future<?> update(RoutingContext rc, boolean patch) {
    UUID id = Requests.id(rc, "id", r.noun());
    long expected = Requests.requireIfMatch(rc);
    ObjectNode body = Requests.body(rc);
    return Store.write(pool, conn -> lock(conn, id, expected)
            .compose(v -> patch ? fetch(conn, id).map(cur -> Requests.merge(Requests.parse(cur.encode()), body))
                : Future.succeededFuture(body))
            .compose(doc -> resolve(conn, doc)
                .compose(ids -> conn.preparedQuery(r.update()).execute(params(doc, ids).addValue(id))))
            .compose(rows -> fetch(conn, id)))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> {
          rc.response().putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
          Replies.entity(rc, 200, w.value());
        }));
  }

  private Future<?> delete(RoutingContext rc) {
    UUID id = Requests.id(rc, "id", r.noun());
    Long expected = Requests.ifMatch(rc);
    return Store.write(pool, conn -> lock(conn, id, expected)
            .compose(v -> conn.preparedQuery("delete from " + r.table() + " where id = $1").execute(Tuple.of(id))))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> rc.response().setStatusCode(204)
            .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version())).end()));
  }

  /** Locks the row until commit and checks its version: 404 when gone, 412 when If-Match differs. */
  private Future<Long> lock(SqlConnection conn, UUID id, Long expected) {
    return conn.preparedQuery("select version from " + r.table() + " where id = $1 for update")
        .execute(Tuple.of(id)).map(rows -> {
          if (rows.size() == 0) {
            throw ApiException.notFound(r.noun() + " " + id);
          }
          long version = rows.iterator().next().getLong(0);
          if (expected != null && expected != version) {
            throw new ApiException(412, "version_mismatch", "If-Match " + expected + " but the " + r.noun()
                + " is at version " + version);
          }
          return version;
        });
  }

  private Future<JsonObject> fetch(SqlClient client, UUID id) {
    return client.preparedQuery(r.select() + " where x.id = $1").execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        throw ApiException.notFound(r.noun() + " " + id);
      }
      return new JsonObject(rows.iterator().next().getString(0));
    });
  }

  /**
   * Validates the document and resolves its references inside the transaction; every failing field is
   * reported at once (schema, extra rules and unknown references together).
   */
  private Future<List<UUID>> resolve(SqlConnection conn, ObjectNode doc) {
    List<FieldError> errors = new ArrayList<>(r.validate(doc));
    List<UUID> ids = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Ref ref : r.refs()) {
      JsonNode value = doc.get(ref.field());
      chain = chain.compose(v -> {
        if (value == null || !value.isTextual()) {
          ids.add(null);
          return Future.succeededFuture();
        }
        return conn.preparedQuery(ref.lookup()).execute(Tuple.of(value.asText())).map(rows -> {
          if (rows.size() == 0) {
            errors.add(new FieldError(ref.field(), "no " + ref.what() + " '" + value.asText() + "'"));
            ids.add(null);
          } else {
            ids.add(rows.iterator().next().getUUID(0));
          }
          return null;
        });
      });
    }
    return chain.map(v -> {
      if (!errors.isEmpty()) {
        errors.sort(Comparator.comparing(FieldError::field).thenComparing(FieldError::reason));
        throw ApiException.invalid(errors);
      }
      return ids;
    });
  }

  private static Tuple params(ObjectNode doc, List<UUID> ids) {
    Tuple t = Tuple.tuple().addValue(doc.toString());
    for (UUID id : ids) {
      t.addValue(id);
    }
    return t;
  }
}

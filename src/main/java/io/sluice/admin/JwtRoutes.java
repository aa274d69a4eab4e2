package io.sluice.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.sluice.config.Schemas;
import io.sluice.store.JwtSecrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.impl.jose.JWK;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A consumer's JWT credentials (/consumers/{id}/jwt): issuer, the one algorithm allowed and the key. An HS*
 * secret is stored encrypted (see JwtSecrets) and never answered; a public key is checked to parse as one of
 * the algorithm's family before it is stored.
 */
final class JwtRoutes {

  private static final String PATH = "/consumers/:id/jwt";
  private static final String SELECT = "select jsonb_strip_nulls(jsonb_build_object('id', x.id, 'version', x.version,"
      + " 'updated_at', x.updated_at, 'consumer', x.consumer_id, 'issuer', x.jwt_issuer,"
      + " 'algorithm', x.jwt_algorithm, 'public_key', x.jwt_public_key))::text"
      + " from credentials x where x.kind = 'jwt' and x.consumer_id = $1";
  private static final String INSERT = "insert into credentials (id, consumer_id, kind, jwt_issuer, jwt_algorithm,"
      + " jwt_public_key, jwt_secret_enc) values ($1, $2, 'jwt', $3, $4, $5, $6)";

  private final Pool pool;
  private final String hmacSecret;

  JwtRoutes(Pool pool, String hmacSecret) {
    this.pool = pool;
    this.hmacSecret = hmacSecret;
  }

  void mount(Router router) {
    router.get(PATH).handler(rc -> CrudHandler.run(rc, () -> list(rc)));
    router.post(PATH).handler(rc -> CrudHandler.run(rc, () -> create(rc)));
    router.get(PATH + "/:credId").handler(rc -> CrudHandler.run(rc, () -> read(rc)));
    router.delete(PATH + "/:credId").handler(rc -> CrudHandler.run(rc, () -> delete(rc)));
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
    UUID id = Requests.id(rc, "credId", "jwt credential");
    return fetch(pool, consumer, id).onSuccess(json -> Replies.entity(rc, 200, json));
  }

  private Future<?> create(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    ObjectNode doc = Requests.body(rc);
    List<FieldError> errors = new ArrayList<>(Schemas.validate("entity-jwt", doc));
    if (errors.isEmpty()) {
      errors.addAll(check(doc));
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    UUID id = UUID.randomUUID();
    String algorithm = doc.get("algorithm").asText();
    boolean hmac = algorithm.startsWith("HS");
    Buffer sealed = hmac ? Buffer.buffer(JwtSecrets.encrypt(doc.get("secret").asText(), id.toString(), hmacSecret))
        : null;
    String publicKey = hmac ? null : doc.get("public_key").asText();
    return Store.write(pool, conn -> consumerExists(conn, consumer)
            .compose(v -> conn.preparedQuery(INSERT).execute(Tuple.of(id, consumer, doc.get("issuer").asText(),
                algorithm, publicKey, sealed)))
            .compose(rows -> fetch(conn, consumer, id)))
        .onSuccess(w -> {
          rc.response().putHeader("Location", "/consumers/" + consumer + "/jwt/" + id)
              .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
          Replies.entity(rc, 201, w.value());
        });
  }

  /** What the schema cannot say: the key that the algorithm needs is there, and parses. */
  private static List<FieldError> check(ObjectNode doc) {
    String algorithm = doc.get("algorithm").asText();
    List<FieldError> errors = new ArrayList<>();
    if (algorithm.startsWith("HS")) {
      if (!doc.has("secret")) {
        errors.add(new FieldError("secret", "is required for " + algorithm));
      }
      if (doc.has("public_key")) {
        errors.add(new FieldError("public_key", "not allowed for " + algorithm));
      }
      return errors;
    }
    if (doc.has("secret")) {
      errors.add(new FieldError("secret", "not allowed for " + algorithm));
    }
    if (!doc.has("public_key")) {
      errors.add(new FieldError("public_key", "is required for " + algorithm));
      return errors;
    }
    String pem = doc.get("public_key").asText();
    if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
      errors.add(new FieldError("public_key", "must be a PEM public key (-----BEGIN PUBLIC KEY-----)"));
      return errors;
    }
    try {
      new JWK(new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(pem));
    } catch (RuntimeException e) {
      errors.add(new FieldError("public_key", "not a usable " + algorithm + " public key: " + e.getMessage()));
    }
    return errors;
  }

  private Future<?> delete(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID id = Requests.id(rc, "credId", "jwt credential");
    return Store.write(pool, conn -> conn.preparedQuery(
                "delete from credentials where id = $1 and consumer_id = $2 and kind = 'jwt' returning id")
            .execute(Tuple.of(id, consumer)).map(rows -> {
              if (rows.size() == 0) {
                throw ApiException.notFound("jwt credential " + id + " of consumer " + consumer);
              }
              return null;
            }))
        .onSuccess(w -> rc.response().setStatusCode(204)
            .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version())).end());
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

  private static Future<JsonObject> fetch(SqlClient client, UUID consumer, UUID id) {
    return client.preparedQuery(SELECT + " and x.id = $2").execute(Tuple.of(consumer, id)).map(rows -> {
      if (rows.size() == 0) {
        throw ApiException.notFound("jwt credential " + id + " of consumer " + consumer);
      }
      return new JsonObject(rows.iterator().next().getString(0));
    });
  }
}

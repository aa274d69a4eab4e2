package io.sluice.admin;

import io.sluice.store.EntityStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * One kind of a consumer's credentials under {@code /consumers/{id}/<segment>}: list, read and delete are the
 * same for every kind; a kind says how one is created (what it validates, generates and stores). Every write
 * answers with {@code Sluice-Config-Version} and honours {@code ?wait=true}.
 */
abstract class CredentialRoutes {

  protected final EntityStore store;
  protected final String kind;
  private final String segment;
  private final String idParam;
  private final String noun;
  private final Paging paging;

  /**
   * {@code kind}: credentials.kind; {@code segment}: the path under the consumer; {@code idParam}: the path
   * parameter of one credential; {@code noun}: what errors call one; {@code hmacSecret}: keys.hmac_secret, which
   * signs the list's cursors.
   */
  CredentialRoutes(EntityStore store, String kind, String segment, String idParam, String noun, String hmacSecret) {
    this.store = store;
    this.paging = new Paging(hmacSecret);
    this.kind = kind;
    this.segment = segment;
    this.idParam = idParam;
    this.noun = noun;
  }

  final void mount(Router router) {
    String path = "/consumers/:id/" + segment;
    router.get(path).handler(rc -> CrudHandler.run(rc, () -> list(rc)));
    router.post(path).handler(rc -> CrudHandler.run(rc, () -> create(rc, Requests.id(rc, "id", "consumer"))));
    router.get(path + "/:" + idParam).handler(rc -> CrudHandler.run(rc, () -> read(rc)));
    router.delete(path + "/:" + idParam).handler(rc -> CrudHandler.run(rc, () -> delete(rc)));
  }

  /** Validates, stores (in {@link EntityStore#write}, checking {@link #consumerExists}) and answers with {@link #created}. */
  protected abstract Future<?> create(RoutingContext rc, UUID consumer);

  /** The 201 of a created credential: Location, the version header, once the cluster applied it if asked. */
  protected final void created(RoutingContext rc, UUID consumer, EntityStore.Written<JsonObject> w, JsonObject body) {
    ClusterRoutes.answerWritten(rc, w.version(), () -> {
      rc.response().putHeader("Location", "/consumers/" + consumer + "/" + segment + "/" + w.value().getString("id"))
          .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
      Replies.entity(rc, 201, body);
    });
  }

  private Future<?> list(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    Paging.Page page = paging.page(rc, "credentials:" + kind);
    return store.consumerExists(consumer).map(CredentialRoutes.found(consumer))
        .compose(v -> store.credentials(kind, consumer, page.after(), page.limit()))
        .onSuccess(slice -> Replies.json(rc, 200, paging.answer(rc, "credentials:" + kind, slice, page)));
  }

  private Future<?> read(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID id = Requests.id(rc, idParam, noun);
    return store.credential(kind, consumer, id).map(json -> found(json, consumer, id))
        .onSuccess(json -> Replies.entity(rc, 200, json));
  }

  private Future<?> delete(RoutingContext rc) {
    UUID consumer = Requests.id(rc, "id", "consumer");
    UUID id = Requests.id(rc, idParam, noun);
    return store.write(Principal.of(rc).actor(), tx -> tx.deleteCredential(kind, consumer, id).map(deleted -> {
          if (!deleted) {
            throw ApiException.notFound(noun + " " + id + " of consumer " + consumer);
          }
          return null;
        }))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> rc.response().setStatusCode(204)
            .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version())).end()));
  }

  /** 404 unless the consumer exists. */
  protected static java.util.function.Function<Boolean, Void> found(UUID consumer) {
    return exists -> {
      if (!exists) {
        throw ApiException.notFound("consumer " + consumer);
      }
      return null;
    };
  }

  protected final Future<Void> consumerExists(EntityStore.Tx tx, UUID consumer) {
    return tx.consumerExists(consumer).map(found(consumer));
  }

  protected final Future<JsonObject> fetch(EntityStore.Tx tx, UUID consumer, UUID id) {
    return tx.credential(kind, consumer, id).map(json -> found(json, consumer, id));
  }

  private JsonObject found(JsonObject json, UUID consumer, UUID id) {
    if (json == null) {
      throw ApiException.notFound(noun + " " + id + " of consumer " + consumer);
    }
    return json;
  }
}

package io.sluice.admin;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.admin.Resource.Ref;
import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.config.IdFormNames;
import io.sluice.config.RouteClaims;
import io.sluice.config.RouteDef;
import io.sluice.store.EntityStore;
import io.sluice.store.Slice;
import io.sluice.store.SqlStates;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * List, create, read, update (PUT replaces, PATCH merges; both need If-Match) and delete for one
 * {@link Resource}. Validation and reference lookups run inside the write's transaction, so nothing
 * invalid is written and a reference cannot vanish between the check and the write.
 */
final class CrudHandler {

  /** Reads a route's document as declared (what an entity's answer adds, id and version, is passed over). */
  private static final ObjectMapper ROUTES = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Resource r;
  private final EntityStore store;
  private final Paging paging;

  /** Stands in for a tenant a tenant token may not name; the write is refused with that field's error. */
  private static final UUID OTHER_TENANT = new UUID(0, 0);
  /** The entities a path names by name as well as by id: their names are unique and never have an id's form. */
  private static final Set<EntityType> BY_NAME = Set.of(EntityType.TENANT, EntityType.SERVICE, EntityType.ROUTE);

  CrudHandler(Resource resource, EntityStore store, Paging paging) {
    this.r = resource;
    this.store = store;
    this.paging = paging;
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
    Paging.Page page = paging.page(rc, r.type().table());
    String tenant = EntityStore.byTenant(r.type()) ? rc.queryParams().get("tenant") : null;
    Principal p = Principal.of(rc);
    return TenantScope.filter(store, p, tenant).compose(v -> list(rc, p, page, tenant));
  }

  private Future<?> list(RoutingContext rc, Principal p, Paging.Page page, String tenant) {
    if (!p.operator()) {
      // A tenant token lists its own tenant's entities only (another tenant named: refused by the filter). Of the
      // tenants, it sees its own, on the first page (so any cursor is past it).
      if (r.type() == EntityType.TENANT && page.after() != null) {
        return Future.succeededFuture().onSuccess(v -> answer(rc, new Slice(List.of(), null), page, tenant));
      }
      if (r.type() == EntityType.TENANT) {
        return store.read(r.type(), p.tenantId()).onSuccess(own -> answer(rc,
            new Slice(own == null ? List.of() : List.of(own), null), page, null));
      }
      return store.list(r.type(), p.tenantId().toString(), page.after(), page.limit())
          .onSuccess(slice -> answer(rc, slice, page, tenant));
    }
    return store.list(r.type(), tenant, page.after(), page.limit())
        .onSuccess(slice -> answer(rc, slice, page, tenant));
  }

  private void answer(RoutingContext rc, Slice slice, Paging.Page page, String tenant) {
    Replies.json(rc, 200, paging.answer(rc, r.type().table(), slice, page, "tenant", tenant));
  }

  /**
   * 404 unless the principal may see the entity (operators see everything that exists); the answer names it as the
   * path did ({@code given}), so that a name never answers with the id of another tenant's entity.
   */
  private Future<Void> visible(Principal p, Future<UUID> tenantOf, String given) {
    if (p.operator()) {
      return Future.succeededFuture();
    }
    return tenantOf.map(tenant -> {
      if (tenant == null || !p.owns(tenant)) {
        throw ApiException.notFound(r.noun() + " " + given);
      }
      return null;
    });
  }

  /**
   * The entity the path names: by its id, or by its name for tenants, services and routes, whose names are unique
   * and never have an id's form ({@code find}: the lookup, in the request's transaction when it writes). 404 when it
   * names none.
   */
  private Future<UUID> named(RoutingContext rc, Function<String, Future<UUID>> find) {
    String given = rc.pathParam("id");
    if (!BY_NAME.contains(r.type()) || Requests.readAsId(given)) {
      UUID id = Requests.uuid(given);
      return id == null ? Future.failedFuture(ApiException.notFound(r.noun() + " " + given))
          : Future.succeededFuture(id);
    }
    return find.apply(given).map(found -> {
      if (found == null) {
        throw ApiException.notFound(r.noun() + " " + given);
      }
      return found;
    });
  }

  /** A tenant token reads its tenant but never creates, changes or deletes one. */
  private static void tenantsReadOnly(Principal p, EntityType type, ObjectNode body) {
    if (!p.operator() && type == EntityType.TENANT) {
      throw new ApiException(403, "forbidden", "tenants are created, changed and deleted with an operator token",
          body == null || !body.has("hosts") ? List.of() : List.of(new FieldError("hosts", "the host names of a tenant"
              + " are assigned with an operator token")));
    }
  }

  private Future<?> read(RoutingContext rc) {
    Principal p = Principal.of(rc);
    String given = rc.pathParam("id");
    return named(rc, name -> store.find(r.type(), name)).compose(id ->
        visible(p, p.operator() ? null : store.tenantOf(r.type(), id), given)
            .compose(v -> store.read(r.type(), id)).map(json -> found(json, id, given)))
        .onSuccess(json -> Replies.entity(rc, 200, json));
  }

  private Future<?> create(RoutingContext rc) {
    ObjectNode doc = Requests.document(rc);
    Principal p = Principal.of(rc);
    tenantsReadOnly(p, r.type(), doc);
    return store.write(p.actor(), tx -> resolve(tx, doc, p)
            .compose(ids -> sniTakeover(tx, p, doc, null).map(v -> ids))
            .compose(ids -> tx.insert(r.type(), doc, ids))
            .compose(id -> takeovers(tx, p, id, doc, null).map(id))
            .compose(id -> tx.read(r.type(), id).map(json -> found(json, id, null))))
        .recover(err -> Future.failedFuture(vanished(err, doc)))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> {
          rc.response().putHeader("Location", r.path() + "/" + w.value().getString("id"))
              .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
          Replies.entity(rc, 201, w.value());
        }));
  }

  private Future<?> update(RoutingContext rc, boolean patch) {
    Principal p = Principal.of(rc);
    long expected = Requests.requireIfMatch(rc);
    ObjectNode body = patch ? Requests.body(rc) : Requests.document(rc);
    String given = rc.pathParam("id");
    return store.write(p.actor(), tx -> named(rc, name -> tx.find(r.type(), name)).compose(id -> update(tx, p, id,
            given, expected, patch, body)))
        .recover(err -> Future.failedFuture(vanished(err, body)))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> {
          rc.response().putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version()));
          Replies.entity(rc, 200, w.value());
        }));
  }

  private Future<JsonObject> update(EntityStore.Tx tx, Principal p, UUID id, String given, long expected,
                                    boolean patch, ObjectNode body) {
    return visible(p, p.operator() ? null : tx.tenantOf(r.type(), id), given)
            .map(v -> {
              tenantsReadOnly(p, r.type(), body);
              return null;
            })
            .compose(v -> lock(tx, id, expected, given))
            // The entity as it is: what a patch merges into, and what a route, an SNI or a tenant is compared with.
            .compose(v -> patch || r.type() != EntityType.CONSUMER && r.type() != EntityType.PLUGIN
                ? tx.read(r.type(), id).map(cur -> Requests.parse(found(cur, id, given).encode()))
                : Future.<ObjectNode>succeededFuture(null))
            .compose(before -> {
              ObjectNode doc = patch ? changed(r, before, body) : body;
              // A patch that changes nothing writes nothing: no new version, no change-log entry.
              return doc == null ? Future.<Void>succeededFuture()
                  : resolve(tx, doc, p).compose(ids -> sniTakeover(tx, p, doc, before).map(v -> ids))
                      .compose(ids -> tx.update(r.type(), id, doc, ids))
                      .compose(v -> takeovers(tx, p, id, doc, before));
            })
            .compose(v -> tx.read(r.type(), id).map(json -> found(json, id, given)));
  }

  private Future<?> delete(RoutingContext rc) {
    Long expected = Requests.ifMatch(rc);
    Principal p = Principal.of(rc);
    String given = rc.pathParam("id");
    return store.write(p.actor(), tx -> named(rc, name -> tx.find(r.type(), name)).compose(id ->
            visible(p, p.operator() ? null : tx.tenantOf(r.type(), id), given)
                .map(v -> {
                  tenantsReadOnly(p, r.type(), null);
                  return null;
                })
                .compose(v -> lock(tx, id, expected, given)).compose(v -> tx.delete(r.type(), id))))
        .onSuccess(w -> ClusterRoutes.answerWritten(rc, w.version(), () -> rc.response().setStatusCode(204)
            .putHeader(Replies.CONFIG_VERSION, String.valueOf(w.version())).end()));
  }

  /**
   * The names a write takes. Host names assigned to a tenant ({@code hosts}) are refused while another tenant is
   * assigned or holds one they meet. A route or an SNI, whoever writes it, lies within the names assigned to its
   * tenant, and on, under or over none assigned to another ({@link EntityStore.Tx#refuseOutsideAssigned}). Beyond
   * that, a route written with a tenant's token names its hosts, none of them a name another tenant holds (its route
   * hosts and SNIs, with the names under them), and may not take requests that another tenant's routes serve (one
   * route table serves every tenant); an SNI written with one may not be a name another tenant holds. An operator's
   * may (arranging tenants is the operator's to do). A change ({@code before}: the entity as it was; null for a new
   * one) of a route that serves nothing it did not serve before, or of an SNI that keeps its name, is not checked
   * (for the assigned names: as long as it stays with its service or certificate): the conflicts it is in were there
   * already.
   */
  private Future<Void> takeovers(EntityStore.Tx tx, Principal p, UUID id, ObjectNode doc, ObjectNode before) {
    if ((r.type() == EntityType.SERVICE || r.type() == EntityType.CERTIFICATE) && before != null) {
      // Moved to another tenant (named by name or id: either, when it differs, is checked), it takes its names.
      return before.path("tenant").equals(doc.path("tenant")) ? Future.succeededFuture()
          : tx.refuseMoveOutsideAssigned(r.type(), id);
    }
    if (r.type() == EntityType.TENANT) {
      List<String> hosts = texts(doc.path("hosts"));
      return before != null && texts(before.path("hosts")).containsAll(hosts) ? Future.succeededFuture()
          : tx.refuseAssignment(id, hosts);
    }
    if (r.type() == EntityType.ROUTE) {
      RouteDef route = ROUTES.convertValue(doc, RouteDef.class);
      boolean within = before != null && RouteClaims.within(route, ROUTES.convertValue(before, RouteDef.class));
      Future<Void> assigned = within && before.path("service").equals(doc.path("service")) ? Future.succeededFuture()
          : tx.tenantOf(r.type(), id).compose(tenant -> tx.refuseOutsideAssigned(tenant, route));
      return p.operator() || within ? assigned : assigned.compose(v -> tx.refuseTakeovers(p.tenantName(), route));
    }
    if (r.type() == EntityType.SNI) {
      String name = doc.path("name").asText();
      boolean kept = before != null && name.equalsIgnoreCase(before.path("name").asText());
      // Another tenant's names were checked before the write (sniTakeover).
      return kept && before.path("certificate").equals(doc.path("certificate")) ? Future.succeededFuture()
          : tx.tenantOf(r.type(), id).compose(t -> tx.refuseSniOutsideAssigned(EntityStore.NO_TENANT.equals(t) ? null
              : t, name));
    }
    return Future.succeededFuture();
  }

  /**
   * An SNI a tenant's token writes on a name another tenant holds (that tenant's SNI of the same name too) is 409
   * {@code sni_conflict}, checked before the write: the unique name index answered a plain {@code conflict}.
   */
  private Future<Void> sniTakeover(EntityStore.Tx tx, Principal p, ObjectNode doc, ObjectNode before) {
    String name = doc.path("name").asText();
    boolean kept = before != null && name.equalsIgnoreCase(before.path("name").asText());
    return r.type() != EntityType.SNI || p.operator() || kept ? Future.succeededFuture()
        : tx.refuseSniTakeover(p.tenantName(), name);
  }

  private static List<String> texts(JsonNode array) {
    return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
  }

  /**
   * The current document with the merge patch applied, or null when the patch changes nothing: compared with
   * the defaults filled in on both sides, since a null in a merge patch removes a key, which means its
   * default ({@code {"hosts": null}} on a route whose hosts are {@code []} changes nothing).
   */
  private static ObjectNode changed(Resource r, ObjectNode current, ObjectNode patch) {
    ObjectNode merged = Requests.merge(current.deepCopy(), patch);
    return r.withDefaults(merged).equals(r.withDefaults(current)) ? null : merged;
  }

  /** Locks the row until commit and checks If-Match (404 when gone, 412 when it differs); {@code given}: as named. */
  private Future<Long> lock(EntityStore.Tx tx, UUID id, Long expected, String given) {
    return tx.lock(r.type(), id).map(version -> {
      if (version == null) {
        throw ApiException.notFound(r.noun() + " " + given);
      }
      if (expected != null && expected != Requests.ANY_VERSION && expected.longValue() != version) {
        throw new ApiException(412, "version_mismatch", "If-Match " + expected + " but the " + r.noun()
            + " is at version " + version);
      }
      return version;
    });
  }

  private JsonObject found(JsonObject json, UUID id, String given) {
    if (json == null) {
      throw ApiException.notFound(r.noun() + " " + (given == null ? id : given));
    }
    return json;
  }

  /**
   * A write whose reference {@link #resolve} found but another transaction deleted before the write could take
   * it (the foreign key waited on the delete, then failed): answered exactly as the reference that never existed,
   * 400 naming the field, rather than as a conflict: by the time of the answer, it does not exist. Any other failure as it is.
   */
  private Throwable vanished(Throwable err, ObjectNode doc) {
    String column = SqlStates.vanishedReference(err);
    for (Ref ref : r.refs()) {
      if ((ref.field() + "_id").equals(column)) {
        return ApiException.invalid(List.of(new FieldError(ref.field(), "no " + ref.what() + " '"
            + doc.path(ref.field()).asText() + "'")));
      }
    }
    return err;
  }

  /**
   * Validates the document and resolves its references inside the transaction; every failing field is
   * reported at once (schema, extra rules and unknown references together).
   */
  private Future<List<UUID>> resolve(EntityStore.Tx tx, ObjectNode doc, Principal p) {
    if (!p.operator()) {
      // A tenant token writes in its tenant: a tenant left out is its own; global plugins are operators'.
      if (r.refs().stream().anyMatch(ref -> ref.type() == EntityType.TENANT) && !doc.has("tenant")) {
        doc.put("tenant", p.tenantName());
      }
      if (r.type() == EntityType.PLUGIN && "global".equals(doc.path("scope").asText())) {
        throw ApiException.invalid(List.of(new FieldError("scope",
            "a tenant token cannot write global plugins (they apply to every tenant)")));
      }
    }
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
        return tx.find(ref.type(), value.asText()).compose(found -> {
          if (p.operator()) {
            return Future.succeededFuture(found);
          }
          if (ref.type() == EntityType.TENANT && found == null) {
            // Answered as another tenant is: a tenant token cannot tell which tenant names exist.
            errors.add(new FieldError(ref.field(), "not this token's tenant (" + p.tenantName() + ")"));
            return Future.succeededFuture(OTHER_TENANT);
          }
          if (found == null) {
            return Future.succeededFuture(null);
          }
          return tx.tenantOf(ref.type(), found).map(tenant -> {
            if (p.owns(tenant)) {
              return found;
            }
            if (ref.type() == EntityType.TENANT) {
              errors.add(new FieldError(ref.field(), "not this token's tenant (" + p.tenantName() + ")"));
              return found;
            }
            return null; // another tenant's entity does not exist for this token
          });
        }).map(found -> {
          if (found == null) {
            errors.add(new FieldError(ref.field(), "no " + ref.what() + " '" + value.asText() + "'"
                + (ref.type() != EntityType.CONSUMER && ref.type() != EntityType.CERTIFICATE
                && IdFormNames.looksLikeId(value.asText())
                ? " (or it is one " + ref.what() + "'s id and another's name, stored before such names were"
                + " refused: rename that " + ref.what() + ")" : "")));
          }
          ids.add(found);
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
}

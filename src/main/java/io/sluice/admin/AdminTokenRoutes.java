package io.sluice.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.FieldError;
import io.sluice.credential.AdminTokens;
import io.sluice.store.AdminTokenStore;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Admin tokens (/admin-tokens), operators only: {@code POST} makes one ({@code {"role": "operator"}} or
 * {@code {"role": "tenant", "tenant": NAME_OR_ID}}) and answers the token this once; {@code GET} lists them
 * (prefix, role, tenant, created, last used; never a token; paged, see {@link Paging});
 * {@code DELETE /admin-tokens/{id}} revokes one, refused from the next request on, on every node (each request
 * reads its token from PostgreSQL).
 */
final class AdminTokenRoutes {

  private static final String PATH = "/admin-tokens";
  /** A token request is a couple of fields. */
  private static final long BODY_LIMIT = 4096;

  private final AdminTokenStore store;
  private final String hmacSecret;
  private final Paging paging;

  AdminTokenRoutes(AdminTokenStore store, String hmacSecret) {
    this.store = store;
    this.hmacSecret = hmacSecret;
    this.paging = new Paging(hmacSecret);
  }

  void mount(Router router) {
    router.route(PATH + "*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));
    router.get(PATH).handler(rc -> CrudHandler.run(rc, () -> {
      Paging.Page page = paging.page(rc, "admin_tokens");
      return store.list(page.after(), page.limit())
          .onSuccess(slice -> Replies.json(rc, 200, paging.answer(rc, "admin_tokens", slice, page)));
    }));
    router.post(PATH).handler(rc -> CrudHandler.run(rc, () -> create(rc)));
    router.delete(PATH + "/:id").handler(rc -> CrudHandler.run(rc, () -> {
      UUID id = Requests.id(rc, "id", "admin token");
      return store.delete(id).map(deleted -> {
        if (!deleted) {
          throw ApiException.notFound("admin token " + id);
        }
        rc.response().setStatusCode(204).end();
        return null;
      });
    }));
  }

  private Future<?> create(RoutingContext rc) {
    ObjectNode doc = Requests.body(rc);
    String role = doc.path("role").asText("");
    String tenant = doc.hasNonNull("tenant") ? doc.get("tenant").asText() : null;
    List<FieldError> errors = new ArrayList<>();
    if (!role.equals(Principal.OPERATOR) && !role.equals(Principal.TENANT)) {
      errors.add(new FieldError("role", "must be \"operator\" or \"tenant\""));
    } else if (role.equals(Principal.TENANT) && tenant == null) {
      errors.add(new FieldError("tenant", "is required for role tenant (a tenant's name or id)"));
    } else if (role.equals(Principal.OPERATOR) && tenant != null) {
      errors.add(new FieldError("tenant", "not allowed for role operator (an operator token has every tenant)"));
    }
    doc.fieldNames().forEachRemaining(f -> {
      if (!f.equals("role") && !f.equals("tenant")) {
        errors.add(new FieldError(f, "unknown field (role and tenant only)"));
      }
    });
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    Future<UUID> tenantId = tenant == null ? Future.succeededFuture() : store.tenantId(tenant).map(id -> {
      if (id == null) {
        throw ApiException.invalid(List.of(new FieldError("tenant", "no tenant '" + tenant + "'")));
      }
      return id;
    });
    String token = AdminTokens.generate();
    return tenantId.compose(id -> store.create(role, id, AdminTokens.shown(token), AdminTokens.digest(token, hmacSecret)))
        .onSuccess(created -> {
          rc.response().putHeader("Location", PATH + "/" + created.getString("id")).putHeader("Cache-Control", "no-store");
          Replies.json(rc, 201, created.put("token", token));
        });
  }
}

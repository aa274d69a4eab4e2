package io.sluice.admin;

import io.sluice.config.FieldError;
import io.sluice.store.EarlierConfig;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * POST /config/rollback?to=N: brings the configuration back to what it was at version N, as a new version. The
 * file as it was at N is rebuilt from the history (what {@code GET /config?version=N} exports) and applied like
 * {@code PUT /config}: one diffed transaction (the inverse of every change since N), {@code dry_run} to see it,
 * {@code wait} to answer once every node applied it, recorded with source {@code rollback}. Operators only: a
 * rollback spans every tenant. A rollback that needs a secret deleted since (an API key or HS secret, which the
 * history holds only by reference) is refused with 409 {@code secret_gone}, naming it, and changes nothing; one to a
 * version holding rows a file refuses (written with psql) with 409 {@code stored_config_invalid}, naming each row,
 * but consumers: such a consumer is left as it is, and names it only when the rollback would write it back
 * (changed or deleted since that version; see {@code HeldConsumers}).
 */
final class RollbackRoutes {

  private RollbackRoutes() {}

  static void mount(Router router, AdminContext context) {
    router.post("/config/rollback").handler(rc -> rollback(rc, context));
  }

  /** The configuration at {@code version} as {@code p} may see it (its tenant's part for a tenant token). */
  static Future<EarlierConfig> configAt(AdminContext context, long version, Principal p) {
    if (!context.storeEnabled()) {
      throw storeDisabled();
    }
    return context.store().loadConfigAt(version, p.operator() ? null : p.tenantId());
  }

  /** The refusal of an earlier version on a node without PostgreSQL. */
  static ApiException storeDisabled() {
    return new ApiException(503, "store_disabled", "this node serves its routes file (no pg.url): earlier"
        + " versions are rebuilt from the configuration history in PostgreSQL");
  }

  private static void rollback(RoutingContext rc, AdminContext context) {
    Principal p = Principal.of(rc);
    long to;
    boolean dryRun = "true".equalsIgnoreCase(rc.queryParams().get("dry_run"));
    Future<EarlierConfig> at;
    try {
      if (!p.operator()) {
        throw new ApiException(403, "forbidden", "a rollback spans every tenant: it needs an operator token");
      }
      String raw = rc.queryParams().get("to");
      if (raw == null) {
        throw ApiException.invalid(List.of(new FieldError("to",
            "is required: the configuration version to go back to")));
      }
      to = HistoryRoutes.version(raw, "to");
      ClusterRoutes.checkWait(rc);
      at = configAt(context, to, p);
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    at.compose(config -> context.store().rollback(config, dryRun, p.actor("rollback"),
            context.settings().keys().hmacSecret()))
        .onSuccess(result -> ConfigRoutes.answer(rc, result, dryRun, new JsonObject().put("rolled_back_to", to)))
        .onFailure(err -> ConfigRoutes.fail(rc, err));
  }
}

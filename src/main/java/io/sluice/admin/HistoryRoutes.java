package io.sluice.admin;

import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.store.HistoryStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The configuration history: GET /config/history pages through versions newest first (cursor paging: the
 * answer's {@code next} carries the last version seen, so writes made meanwhile never shift a page), filtered by
 * versions or times ({@code since}, {@code until}), entity type and tenant; GET /config/history/{version} shows
 * one version with the before and after image of every entity it changed. A tenant token sees its tenant's
 * entities only.
 */
final class HistoryRoutes {

  private HistoryRoutes() {}

  static void mount(Router router, AdminContext context) {
    router.get("/config/history").handler(rc -> list(rc, context));
    router.get("/config/history/:version").handler(rc -> one(rc, context));
  }

  private static void list(RoutingContext rc, AdminContext context) {
    if (disabled(rc, context)) {
      return;
    }
    Principal p = Principal.of(rc);
    HistoryStore.Query q;
    try {
      q = query(rc, p);
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    // A tenant no tenant has now and none had (no entry recorded under it) is 400 naming it, as in every list.
    HistoryStore history = context.store().history();
    TenantScope.filter(context.entities(), p, q.tenant())
        .recover(unknown -> !(unknown instanceof ApiException) ? Future.failedFuture(unknown)
            : history.recorded(q.tenant(), q.ownTenant()).compose(had -> had ? Future.<Void>succeededFuture()
                : Future.failedFuture(unknown)))
        .compose(v -> history.list(q)).onSuccess(versions -> {
      // The store reads one version more than the page: there is a next page exactly when it came.
      List<JsonObject> page = versions.subList(0, Math.min(versions.size(), q.limit()));
      JsonObject answer = new JsonObject().put("data", new JsonArray(page));
      answer.put("next", versions.size() <= q.limit() ? null
          : next(rc, page.get(page.size() - 1).getLong("version"), q.limit()));
      Replies.json(rc, 200, answer);
    }).onFailure(err -> Replies.failure(rc, err));
  }

  private static void one(RoutingContext rc, AdminContext context) {
    if (disabled(rc, context)) {
      return;
    }
    Principal p = Principal.of(rc);
    long version;
    try {
      version = version(rc.pathParam("version"), "version");
    } catch (ApiException e) {
      Replies.error(rc, e);
      return;
    }
    context.store().history().version(version, p.operator() ? null : p.tenantId()).onSuccess(found -> {
      if (found == null) {
        Replies.error(rc, ApiException.notFound("history of configuration version " + version
            + " (never written, pruned past sync.history_retention_hours, or none of it visible to this token)"));
      } else {
        Replies.json(rc, 200, found);
      }
    }).onFailure(err -> Replies.failure(rc, err));
  }

  /** The query of a list request; every bad parameter is named (all of them at once). */
  static HistoryStore.Query query(RoutingContext rc, Principal p) {
    List<FieldError> errors = new ArrayList<>();
    Long cursor = optional(rc, "cursor", errors);
    Bound since = bound(rc, "since", errors);
    Bound until = bound(rc, "until", errors);
    String table = null;
    String entity = rc.queryParams().get("entity");
    if (entity != null) {
      table = table(entity);
      if (table == null) {
        errors.add(new FieldError("entity", "no entity type '" + entity + "' (one of tenant, service, route,"
            + " consumer, credential, plugin, certificate, sni)"));
      }
    }
    int limit = Requests.DEFAULT_LIMIT;
    Long asked = optional(rc, "limit", errors);
    if (asked != null && (asked < 1 || asked > Requests.MAX_LIMIT)) {
      errors.add(new FieldError("limit", "must be an integer from 1 to " + Requests.MAX_LIMIT));
    } else if (asked != null) {
      limit = asked.intValue();
    }
    if (!errors.isEmpty()) {
      throw ApiException.invalid(errors);
    }
    // A tenant token naming another tenant gets nothing: both filters hold, and no entry is of both (and list()
    // answers such a name 400 first, as one that names no tenant).
    return new HistoryStore.Query(cursor, since.version, until.version, since.at, until.at, table,
        p.operator() ? null : p.tenantId(), rc.queryParams().get("tenant"), limit);
  }

  /** A version or a time (RFC 3339), or neither when the parameter is absent. */
  private record Bound(Long version, OffsetDateTime at) {}

  private static Bound bound(RoutingContext rc, String name, List<FieldError> errors) {
    String raw = rc.queryParams().get(name);
    if (raw == null || raw.isEmpty()) {
      return new Bound(null, null);
    }
    if (raw.chars().allMatch(Character::isDigit)) {
      return new Bound(optional(rc, name, errors), null);
    }
    try {
      return new Bound(null, OffsetDateTime.parse(raw));
    } catch (DateTimeParseException e) {
      errors.add(new FieldError(name, "must be a configuration version or an RFC 3339 time"
          + " (2026-12-04T10:00:00Z)"));
      return new Bound(null, null);
    }
  }

  private static Long optional(RoutingContext rc, String name, List<FieldError> errors) {
    String raw = rc.queryParams().get(name);
    if (raw == null) {
      return null;
    }
    try {
      return version(raw, name);
    } catch (ApiException e) {
      errors.addAll(e.fields);
      return null;
    }
  }

  static long version(String raw, String name) {
    if (raw.matches("0|[1-9][0-9]{0,17}")) { // decimal digits only: no sign, no leading zero
      return Long.parseLong(raw);
    }
    throw ApiException.invalid(List.of(new FieldError(name, "must be a non-negative integer")));
  }

  /** The table of an entity type named singular or plural (route, routes), or null. */
  static String table(String entity) {
    String e = entity.toLowerCase(Locale.ROOT);
    for (EntityType t : EntityType.values()) {
      if (t.noun().equals(e) || t.table().equals(e)) {
        return t.table();
      }
    }
    return null;
  }

  /** The next page: the same filters, below the last version of this one. */
  private static String next(RoutingContext rc, long last, int limit) {
    StringBuilder uri = new StringBuilder(rc.request().path()).append("?cursor=").append(last)
        .append("&limit=").append(limit);
    for (String name : List.of("since", "until", "entity", "tenant")) {
      String v = rc.queryParams().get(name);
      if (v != null) {
        uri.append('&').append(name).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    }
    return uri.toString();
  }

  private static boolean disabled(RoutingContext rc, AdminContext context) {
    if (context.storeEnabled()) {
      return false;
    }
    Replies.error(rc, 503, "store_disabled", "this node serves its routes file (no pg.url): there is no"
        + " configuration history without PostgreSQL");
    return true;
  }
}

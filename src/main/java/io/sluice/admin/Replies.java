package io.sluice.admin;

import io.sluice.config.FieldError;
import io.sluice.store.TakeoverException;
import io.sluice.store.SqlStates;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How the resources answer: JSON bodies, the version headers, and every failure as one error shape. */
final class Replies {

  static final String CONFIG_VERSION = "Sluice-Config-Version";
  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

  private Replies() {}

  static void json(RoutingContext rc, int status, Object body) {
    rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(body instanceof JsonObject o ? o.encode() : String.valueOf(body));
  }

  /** An entity, with its version as ETag (what If-Match compares). */
  static void entity(RoutingContext rc, int status, JsonObject entity) {
    rc.response().putHeader("ETag", "\"" + entity.getLong("version") + "\"");
    json(rc, status, entity);
  }

  static void error(RoutingContext rc, int status, String code, String message) {
    error(rc, new ApiException(status, code, message));
  }

  static void error(RoutingContext rc, ApiException e) {
    JsonObject error = new JsonObject().put("status", e.status).put("code", e.code).put("message", e.getMessage());
    if (!e.fields.isEmpty()) {
      JsonArray fields = new JsonArray();
      for (FieldError f : e.fields) {
        fields.add(new JsonObject().put("field", f.field()).put("reason", f.reason()));
      }
      error.put("fields", fields);
    }
    json(rc, e.status, new JsonObject().put("error", error));
  }

  /** Any failure of a handler's future: refusals as they are, PostgreSQL errors by SQLSTATE. */
  static void failure(RoutingContext rc, Throwable failure) {
    if (rc.response().ended()) {
      return;
    }
    if (failure instanceof ApiException e) {
      error(rc, e);
      return;
    }
    if (failure instanceof TakeoverException taken) {
      error(rc, new ApiException(taken.status(), taken.code(), taken.getMessage(), taken.fields()));
      return;
    }
    String state = SqlStates.of(failure);
    if (SqlStates.inUseField(failure, false) != null) {
      error(rc, new ApiException(409, "in_use", "nothing written: what refers to it would break",
          List.of(SqlStates.inUseField(failure, false))));
    } else if (SqlStates.FOREIGN_KEY_VIOLATION.equals(state)) {
      error(rc, 409, "in_use", SqlStates.inUse(failure));
    } else if (SqlStates.UNIQUE_VIOLATION.equals(state)) {
      FieldError clash = SqlStates.duplicate(failure);
      error(rc, clash == null ? new ApiException(409, "conflict", "an entity with that name (or key) already exists")
          : new ApiException(409, "conflict", clash.field() + ": " + clash.reason(), List.of(clash)));
    } else if (SqlStates.refusal(failure, false) != null) {
      error(rc, ApiException.invalid(List.of(SqlStates.refusal(failure, false))));
    } else if (state == null || state.startsWith("08") || state.startsWith("57") || state.startsWith("53")) {
      // No SQLSTATE: the connection could not be had (refused, timed out, pool wait over).
      LOG.warn("configuration store unavailable: {}", failure.toString());
      error(rc, 503, "store_unavailable", "the configuration store (PostgreSQL) is unavailable; retry later");
    } else {
      LOG.error("admin request failed", failure);
      error(rc, 500, "internal", "internal error (SQLSTATE " + state + ")");
    }
  }
}

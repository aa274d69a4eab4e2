package io.sluice.admin;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * Who makes an admin request: an operator (the bootstrap token admin.token, an operator admin token, or
 * anyone on a token-less loopback listener) or a tenant (a tenant admin token, bound to one tenant). Set by
 * the listener's authentication on every request past it; recorded with every write ({@link #actor}).
 *
 * @param tokenId    the admin token's id, or null (bootstrap token, token-less listener)
 * @param tenantId   the tenant of a tenant token, null for operators
 * @param tenantName its name
 */
record Principal(String kind, String tokenId, String role, UUID tenantId, String tenantName) {

  static final String OPERATOR = "operator";
  static final String TENANT = "tenant";
  private static final String KEY = "sluice.principal";

  static final Principal BOOTSTRAP = new Principal("bootstrap", null, OPERATOR, null, null);
  static final Principal LOOPBACK = new Principal("loopback", null, OPERATOR, null, null);

  static Principal token(UUID id, String role, UUID tenantId, String tenantName) {
    return new Principal("admin_token", id.toString(), role, tenantId, tenantName);
  }

  boolean operator() {
    return OPERATOR.equals(role);
  }

  /** Whether {@code nameOrId} names this principal's tenant (always true for operators). */
  boolean owns(String nameOrId) {
    return operator() || nameOrId != null && (nameOrId.equals(tenantName) || nameOrId.equalsIgnoreCase(tenantId.toString()));
  }

  boolean owns(UUID tenant) {
    return operator() || tenantId.equals(tenant);
  }

  /** What the change log records as who wrote (change_log.actor): kind, token id and role; source admin. */
  String actor() {
    return actor("admin");
  }

  /**
   * {@link #actor()} with where the write comes from (config_history.source): admin (a resource of the admin
   * API), apply (PUT /config) or rollback (POST /config/rollback).
   */
  String actor(String source) {
    JsonObject a = new JsonObject().put("kind", kind).put("role", role).put("source", source);
    if (tokenId != null) {
      a.put("token", tokenId);
    }
    if (tenantName != null) {
      a.put("tenant", tenantName);
    }
    return a.encode();
  }

  void attach(RoutingContext rc) {
    rc.put(KEY, this);
  }

  /** The principal of a request (set by the listener's authentication). */
  /** Whether the request is an operator's: false where no principal is attached (a public path, no token). */
  static boolean operator(RoutingContext rc) {
    Principal p = rc.get(KEY);
    return p != null && p.operator();
  }

  static Principal of(RoutingContext rc) {
    Principal p = rc.get(KEY);
    if (p == null) {
      throw new IllegalStateException("no principal: a handler outside the authenticated part of the router");
    }
    return p;
  }
}

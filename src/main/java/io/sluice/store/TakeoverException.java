package io.sluice.store;

import io.sluice.config.FieldError;
import java.util.List;

/**
 * A write with a tenant's token that would take another tenant's traffic or names, refused whole (nothing written):
 * a route host or an SNI that meets a name another tenant holds (see {@link io.sluice.config.NameClaims}), or routes
 * that would take requests a route of another tenant serves (see {@link io.sluice.config.RouteClaims}), both 409; or
 * a route without hosts (400: it would serve every host, other tenants' among them); likewise names on, under or
 * over the host names an operator assigned to another tenant (409), names outside those assigned to the writer's
 * tenant (400), and an assignment of names another tenant holds or is assigned (409, {@link HostAssignments}).
 * {@link #fields} names each field that does it; the other tenant is not named.
 */
public final class TakeoverException extends RuntimeException {

  /** Routes that take requests another tenant's route serves, or a route host another tenant holds. */
  public static final String ROUTE = "route_conflict";
  /** An SNI that another tenant holds (or {@code *}). */
  public static final String SNI = "sni_conflict";

  /** Host names assigned to a tenant that another tenant is assigned or holds. */
  public static final String HOSTS = "host_conflict";

  /** Routes without hosts, written with a tenant's token: invalid for that token whatever else is stored. */
  public static final String INVALID = "invalid";

  private final int status;
  private final String code;
  private final List<FieldError> fields;

  public TakeoverException(String code, String message, List<FieldError> fields) {
    this(409, code, message, fields);
  }

  private TakeoverException(int status, String code, String message, List<FieldError> fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = List.copyOf(fields);
  }

  /** Routes written with a tenant's token that would take another tenant's requests. */
  static TakeoverException routes(List<FieldError> fields) {
    return new TakeoverException(ROUTE, fields.size() + " route field(s) would take requests that another tenant's"
        + " routes serve, or name a host another tenant holds; nothing written", fields);
  }

  /**
   * Routes written with a tenant's token that name no hosts: a route without hosts serves every host, other tenants'
   * among them, so such routes are the operator's to set (as the SNI {@code *} is).
   */
  static TakeoverException hostsRequired(List<FieldError> fields) {
    return new TakeoverException(400, INVALID, fields.size() + " route(s) without hosts: a route written with a"
        + " tenant token names its hosts; nothing written", fields);
  }

  /**
   * Route hosts or an SNI of a tenant with host names assigned that lie under none of them (400: invalid for that
   * tenant whatever else is stored).
   */
  static TakeoverException outsideAssigned(List<FieldError> fields) {
    return new TakeoverException(400, INVALID, fields.size() + " name(s) outside the host names assigned to the"
        + " tenant; nothing written", fields);
  }

  /** The answer's status: 409 for a conflict, 400 for a route without hosts. */
  public int status() {
    return status;
  }

  /** The answer's error code: {@link #ROUTE}, {@link #SNI}, {@link #HOSTS} or {@link #INVALID}. */
  public String code() {
    return code;
  }

  public List<FieldError> fields() {
    return fields;
  }
}

package io.sluice.store;

import io.sluice.config.FieldError;
import java.util.List;

/**
 * A write with a tenant's token that would take another tenant's traffic or names, refused whole (nothing written):
 * a route host or an SNI that meets a name another tenant holds (see {@link io.sluice.config.NameClaims}), or routes
 * that would take requests a route of another tenant serves (see {@link io.sluice.config.RouteClaims}), both 409; or
 * a route without hosts (400: it would serve every host, other tenants' among them). {@link #fields} names each field
 * that does it; the other tenant is not named.
 */
public final class TakeoverException extends RuntimeException {

  /** Routes that take requests another tenant's route serves, or a route host another tenant holds. */
  public static final String ROUTE = "route_conflict";
  /** An SNI that another tenant holds (or {@code *}). */
  public static final String SNI = "sni_conflict";

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

  /** The answer's status: 409 for a conflict, 400 for a route without hosts. */
  public int status() {
    return status;
  }

  /** The answer's error code: {@link #ROUTE}, {@link #SNI} or {@link #INVALID}. */
  public String code() {
    return code;
  }

  public List<FieldError> fields() {
    return fields;
  }
}

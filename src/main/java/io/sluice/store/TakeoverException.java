package io.sluice.store;

import io.sluice.config.FieldError;
import java.util.List;

/**
 * A write with a tenant's token that would take another tenant's traffic, refused whole (nothing written): routes
 * that would take requests a route of another tenant serves (see {@link io.sluice.config.RouteClaims}), or a host
 * whose TLS certificate would be chosen by another tenant (an SNI over another tenant's route host, a route host
 * under another tenant's SNI). {@link #fields} names each field that does it; the other tenant is not named.
 */
public final class TakeoverException extends RuntimeException {

  /** Routes that take requests, or a route host that another tenant's SNI serves. */
  public static final String ROUTE = "route_conflict";
  /** An SNI that serves the host of another tenant's routes. */
  public static final String SNI = "sni_conflict";

  private final String code;
  private final List<FieldError> fields;

  public TakeoverException(String code, String message, List<FieldError> fields) {
    super(message);
    this.code = code;
    this.fields = List.copyOf(fields);
  }

  /** Routes written with a tenant's token that would take another tenant's requests. */
  static TakeoverException routes(List<FieldError> fields) {
    return new TakeoverException(ROUTE, fields.size() + " route field(s) would take requests that another tenant's"
        + " routes serve, or a host whose certificate another tenant chose; nothing written", fields);
  }

  /** The answer's error code: {@link #ROUTE} or {@link #SNI}. */
  public String code() {
    return code;
  }

  public List<FieldError> fields() {
    return fields;
  }
}

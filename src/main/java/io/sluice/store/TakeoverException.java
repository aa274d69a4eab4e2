package io.sluice.store;

import io.sluice.config.FieldError;
import java.util.List;

/**
 * Routes written with a tenant's token that would take requests a route of another tenant serves (see
 * {@link io.sluice.config.RouteClaims}): refused whole, nothing written. {@link #fields} names each route field
 * that does it; the other tenant's routes are not named.
 */
public final class RouteTakeoverException extends RuntimeException {

  private final List<FieldError> fields;

  public RouteTakeoverException(List<FieldError> fields) {
    super(fields.size() + " route field(s) would take requests that another tenant's routes serve; nothing written");
    this.fields = List.copyOf(fields);
  }

  public List<FieldError> fields() {
    return fields;
  }
}

package io.sluice.config;

/** One invalid input: the field (a dotted path such as {@code routes[2].paths[0]}) and why. */
public record FieldError(String field, String reason) {

  @Override
  public String toString() {
    return field + ": " + reason;
  }
}

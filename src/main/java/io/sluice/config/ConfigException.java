package io.sluice.config;

import java.util.List;

/** A configuration refused whole, with every field at fault. */
public final class ConfigException extends RuntimeException {

  private final List<FieldError> errors;

  public ConfigException(List<FieldError> errors) {
    super(errors.size() + " invalid field(s): " + errors);
    this.errors = List.copyOf(errors);
  }

  public List<FieldError> errors() {
    return errors;
  }
}

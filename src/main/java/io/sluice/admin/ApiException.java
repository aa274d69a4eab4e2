package io.sluice.admin;

import io.sluice.config.FieldError;
import java.util.List;

/** An admin request refused with a status, a code, a message and, for invalid input, every failing field. */
final class ApiException extends RuntimeException {

  final int status;
  final String code;
  final List<FieldError> fields;

  ApiException(int status, String code, String message, List<FieldError> fields) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.fields = List.copyOf(fields);
  }

  ApiException(int status, String code, String message) {
    this(status, code, message, List.of());
  }

  static ApiException invalid(List<FieldError> fields) {
    return new ApiException(400, "invalid", fields.size() + " invalid field(s)", fields);
  }

  static ApiException notFound(String what) {
    return new ApiException(404, "not_found", "no " + what);
  }
}

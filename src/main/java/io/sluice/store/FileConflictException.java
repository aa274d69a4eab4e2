package io.sluice.store;

import io.sluice.config.CertificateEntry;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import java.util.List;

/**
 * A declarative file the database refused for what its rows would make, not for how they are written (nothing
 * written): the field is named as the file has it, with its entity's index ({@code certificates[2].tenant}), so
 * that a caller sees which entry to change.
 */
public final class FileConflictException extends RuntimeException {

  private final String code;
  private final List<FieldError> fields;

  FileConflictException(String code, String message, List<FieldError> fields) {
    super(message, null, false, false);
    this.code = code;
    this.fields = List.copyOf(fields);
  }

  /** The answer's error code: {@code in_use} (what refers to an entity would break). */
  public String code() {
    return code;
  }

  public List<FieldError> fields() {
    return fields;
  }

  /**
   * {@code failure} (of the apply of {@code wanted}) as a conflict of the file's fields, or null when it is no
   * refusal that names its row: a certificate moved to another tenant while a service of its old one names it.
   */
  static FileConflictException of(Throwable failure, GatewayConfig wanted) {
    FieldError inUse = SqlStates.inUseField(failure, true);
    if (inUse != null) {
      return new FileConflictException("in_use", "nothing applied: what refers to an entity of the file would break",
          List.of(new FieldError(field(wanted, inUse.field(), SqlStates.keyName(failure)), inUse.reason())));
    }
    return null;
  }

  /**
   * {@code qualified} ({@code certificates.tenant}) as the file names it: with the index of the entity named
   * {@code name} when the file has one, as it is otherwise.
   */
  private static String field(GatewayConfig wanted, String qualified, String name) {
    int dot = qualified.indexOf('.');
    String table = qualified.substring(0, dot);
    List<String> names = switch (table) {
      case "services" -> wanted.services().stream().map(s -> s.name()).toList();
      case "routes" -> wanted.routes().stream().map(r -> r.name()).toList();
      case "certificates" -> wanted.hasCertificates()
          ? wanted.certificates().stream().map(CertificateEntry::name).toList() : List.of();
      default -> List.of();
    };
    int i = name == null ? -1 : names.indexOf(name);
    return i < 0 ? qualified : table + "[" + i + "]" + qualified.substring(dot);
  }
}

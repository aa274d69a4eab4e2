package io.sluice.store;

import io.sluice.config.CertificateEntry;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import java.util.List;

/**
 * A declarative file the database refused for what its rows would make (nothing written): a name another entity
 * holds, a rule across rows, what refers to an entity that would break. The field is named as the file has it,
 * with its entity's index ({@code routes[3].name}, {@code certificates[2].tenant}) when the refusal says which row
 * it is about, so that the caller sees which entry to change.
 */
public final class FileRefusalException extends RuntimeException {

  private final int status;
  private final String code;
  private final List<FieldError> fields;

  FileRefusalException(int status, String code, String message, List<FieldError> fields) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.fields = List.copyOf(fields);
  }

  /** 409 (a name taken, something in use) or 400 (a rule of the configuration schema). */
  public int status() {
    return status;
  }

  /** The answer's error code: {@code conflict}, {@code in_use} or {@code invalid}. */
  public String code() {
    return code;
  }

  public List<FieldError> fields() {
    return fields;
  }

  /**
   * {@code failure} (of the apply of {@code wanted}) as a refusal of the file's fields, or null when it is none of
   * those: a unique name taken, a refusal of a rule (V5, V11) and a refusal because of what refers to a row (V18).
   */
  static FileRefusalException of(Throwable failure, GatewayConfig wanted) {
    String name = SqlStates.keyName(failure);
    FieldError inUse = SqlStates.inUseField(failure, true);
    if (inUse != null) {
      return new FileRefusalException(409, "in_use", "nothing applied: what refers to an entity of the file would"
          + " break", List.of(new FieldError(field(wanted, inUse.field(), name), inUse.reason())));
    }
    String table = SqlStates.table(failure);
    if (SqlStates.is(failure, SqlStates.UNIQUE_VIOLATION) && table != null) {
      // Names are unique across tenants: the holder may be an entity this token cannot see, so it is not named.
      return new FileRefusalException(409, "conflict", "nothing applied: a name in the file is already taken",
          List.of(new FieldError(field(wanted, table + (name == null ? "" : ".name"), name), name == null
              ? "a value that must be unique (a key, a username in its tenant) is already taken"
              : "'" + name + "' is already taken (names are unique across tenants): choose another name")));
    }
    FieldError refused = SqlStates.refusal(failure, true);
    if (refused != null && name != null) {
      return new FileRefusalException(400, "invalid", "refused by the database; nothing applied",
          List.of(new FieldError(field(wanted, refused.field(), name), refused.reason())));
    }
    return null;
  }

  /**
   * {@code qualified} ({@code routes.name}) as the file names it: with the index of the entity named {@code name}
   * when the file has one, as it is otherwise.
   */
  private static String field(GatewayConfig wanted, String qualified, String name) {
    int dot = qualified.indexOf('.');
    String table = dot < 0 ? qualified : qualified.substring(0, dot);
    List<String> names = switch (table) {
      case "services" -> wanted.services().stream().map(s -> s.name()).toList();
      case "routes" -> wanted.routes().stream().map(r -> r.name()).toList();
      case "certificates" -> wanted.hasCertificates()
          ? wanted.certificates().stream().map(CertificateEntry::name).toList() : List.of();
      default -> List.of();
    };
    int i = name == null ? -1 : names.indexOf(name);
    return i < 0 ? qualified : table + "[" + i + "]" + (dot < 0 ? "" : qualified.substring(dot));
  }
}

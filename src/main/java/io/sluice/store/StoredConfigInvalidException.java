package io.sluice.store;

import io.sluice.config.FieldError;
import java.util.List;

/**
 * Rows in PostgreSQL that break the declarative rules (written with psql, where the database cannot tell: a regex
 * Java does not compile, a plugin configuration outside its policy's schema), met while exporting the file or
 * rebuilding an earlier version for a rollback. An export that left them out would be a backup that deletes them
 * when applied again, and one that kept them a file that cannot be applied: the export (or rollback) is refused
 * and each row is named, for a person to fix or delete.
 */
public final class StoredConfigInvalidException extends RuntimeException {

  /** One field of one stored row: its entity ({@code route}, ...), the row's name, the field and why. */
  public record Problem(String entity, String name, FieldError error) {}

  private final List<Problem> problems;

  /** The stored rows an export met. */
  public StoredConfigInvalidException(List<Problem> problems) {
    this(problems, null);
  }

  /** The rows as they were at version {@code at}, met by a rollback to it (null: the stored rows, by an export). */
  public StoredConfigInvalidException(List<Problem> problems, Long at) {
    super(describe(problems, at));
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }

  private static String describe(List<Problem> problems, Long at) {
    List<String> rows = problems.stream().map(p -> p.entity() + " '" + p.name() + "'").distinct().toList();
    if (at != null) {
      return "the configuration at version " + at + " has " + rows.size() + " invalid row(s), written outside the"
          + " admin API (with psql): " + String.join(", ", rows) + "; nothing applied. A rollback would write them"
          + " back as they were: roll back to another version, or apply a file with them fixed (PUT /config)";
    }
    return "the stored configuration has " + rows.size() + " invalid row(s), written outside the admin API (with"
        + " psql): " + String.join(", ", rows) + "; nothing exported. Fix each one (PATCH or PUT it through the"
        + " admin API, or UPDATE the row) or delete it, then export again";
  }
}

package io.sluice.store;

import io.sluice.config.FieldError;
import java.util.List;

/**
 * Rows in PostgreSQL that break the declarative rules (written with psql, where the database cannot tell: a regex
 * Java does not compile, a plugin configuration outside its policy's schema), met while exporting the file. An
 * export that left them out would be a backup that deletes them when applied again, and one that kept them a file
 * that cannot be applied: the export is refused and each row is named, for a person to fix or delete.
 */
public final class StoredConfigInvalidException extends RuntimeException {

  /** One field of one stored row: its entity ({@code route}, ...), the row's name, the field and why. */
  public record Problem(String entity, String name, FieldError error) {}

  private final List<Problem> problems;

  public StoredConfigInvalidException(List<Problem> problems) {
    super(describe(problems));
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }

  private static String describe(List<Problem> problems) {
    List<String> rows = problems.stream().map(p -> p.entity() + " '" + p.name() + "'").distinct().toList();
    return "the stored configuration has " + rows.size() + " invalid row(s), written outside the admin API (with"
        + " psql): " + String.join(", ", rows) + "; nothing exported. Fix each one (PATCH or PUT it through the"
        + " admin API, or UPDATE the row) or delete it, then export again";
  }
}

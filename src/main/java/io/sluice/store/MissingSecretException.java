package io.sluice.store;

import java.util.List;

/**
 * A file (or a rollback) that needs secrets that no longer exist: an API key or HS secret named by reference and
 * deleted since. A secret is never in a file nor in the history, so it cannot be brought back: the whole file is
 * refused and nothing is written. {@link #missing} names each one for a person.
 */
public final class MissingSecretException extends RuntimeException {

  private final List<String> missing;

  public MissingSecretException(List<String> missing) {
    super("nothing applied: " + String.join("; ", missing) + " (a secret is never in the file: declare a key again"
        + " by its digest or generate a new one, give an HS secret again)");
    this.missing = List.copyOf(missing);
  }

  public List<String> missing() {
    return missing;
  }
}

package io.sluice.store;

/**
 * The configuration of an earlier version cannot be rebuilt: the version is not written yet ({@code future}),
 * or the history after it is incomplete (pruned past sync.history_retention_hours, or older than the history).
 */
public final class VersionUnavailableException extends RuntimeException {

  private final boolean future;

  VersionUnavailableException(String message, boolean future) {
    super(message, null, false, false);
    this.future = future;
  }

  /** Whether the version asked for is past the current one (rather than lost to the history's retention). */
  public boolean future() {
    return future;
  }
}

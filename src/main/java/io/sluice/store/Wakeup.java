package io.sluice.store;

/**
 * Why the configuration listener asks for a catch-up, and the newest global version it knows of then
 * ({@link #UNKNOWN} when it could not tell). The version is a hint: the change log after the applied
 * version is what a catch-up reads, whatever the hint says. {@code carried}: the version's whole delta when its
 * notification carried it (a small change), which a leader whose last version is the one before may publish
 * without reading; null otherwise.
 */
public record Wakeup(Cause cause, long version, Delta carried) {

  public static final long UNKNOWN = -1;

  public enum Cause {
    /** The listener (re)connected and LISTENs again: anything may have been committed while it was away. */
    CONNECTED,
    /** A NOTIFY arrived. */
    NOTIFIED,
    /** The heartbeat saw a version newer than any notification delivered: one was lost. */
    HEARTBEAT
  }
}

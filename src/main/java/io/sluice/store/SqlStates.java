package io.sluice.store;

import io.vertx.pgclient.PgException;

/**
 * The PostgreSQL error codes a caller of the store turns into answers (the admin API: 409, 400, 503), so
 * that no caller matches on message text.
 */
public final class SqlStates {

  /** A delete (or a reference) refused by a foreign key: the row is still referred to. */
  public static final String FOREIGN_KEY_VIOLATION = "23503";
  /** A name or key that must be unique already exists. */
  public static final String UNIQUE_VIOLATION = "23505";
  /** A CHECK constraint refused a value (and the triggers' own refusals, such as a changed id). */
  public static final String CHECK_VIOLATION = "23514";
  /** A NOT NULL column left empty. */
  public static final String NOT_NULL_VIOLATION = "23502";
  /** Two writers collided under REPEATABLE READ or SERIALIZABLE: retry the transaction. */
  public static final String SERIALIZATION_FAILURE = "40001";
  /** Two writers waited on each other; PostgreSQL aborted one: retry the transaction. */
  public static final String DEADLOCK_DETECTED = "40P01";

  private SqlStates() {}

  /** The SQLSTATE of a failure from the reactive client, or null when it is not a PostgreSQL error. */
  public static String of(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg.getSqlState();
      }
    }
    return null;
  }

  public static boolean is(Throwable failure, String sqlState) {
    return sqlState.equals(of(failure));
  }
}

package io.sluice.store;

import io.sluice.config.FieldError;
import io.vertx.pgclient.PgException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
    PgException pg = pg(failure);
    return pg == null ? null : pg.getSqlState();
  }

  public static boolean is(Throwable failure, String sqlState) {
    return sqlState.equals(of(failure));
  }

  /**
   * The field and the reason of a row PostgreSQL refused (a CHECK constraint, a validation of
   * V5__refuse_invalid_rows.sql, a NOT NULL column), in words: never PostgreSQL's own text. {@code
   * qualified} prefixes the field with its table ({@code routes.paths[0]}), for answers that span tables.
   * Null when the failure is no such refusal.
   */
  public static FieldError refusal(Throwable failure, boolean qualified) {
    PgException pg = pg(failure);
    if (pg == null) {
      return null;
    }
    String table = pg.getTable() == null ? "" : pg.getTable();
    if (NOT_NULL_VIOLATION.equals(pg.getSqlState()) && pg.getColumn() != null) {
      return new FieldError(field(table, pg.getColumn(), qualified), "is required");
    }
    if (!CHECK_VIOLATION.equals(pg.getSqlState())) {
      return null;
    }
    Matcher m = REFUSAL.matcher(pg.getErrorMessage() == null ? "" : pg.getErrorMessage());
    if (pg.getColumn() != null && m.matches() && m.group(1).equals(table)) {
      // "<table>.<field>: <reason>", raised by sluice_refuse (V5): the field and the reason are ours.
      return new FieldError(field(table, m.group(2), qualified), m.group(3));
    }
    String constraint = pg.getConstraint();
    if (constraint != null && !table.isEmpty() && constraint.startsWith(table + "_")) {
      // A column's own CHECK (V1): <table>_<column>_check.
      String column = constraint.substring(table.length() + 1).replaceFirst("_check$", "");
      return new FieldError(field(table, column, qualified),
          "is not allowed here (out of range or not of the expected form; constraint " + constraint + ")");
    }
    return new FieldError(qualified && !table.isEmpty() ? table : "(entity)",
        "refused by a rule of the configuration schema" + (constraint == null ? "" : " (" + constraint + ")"));
  }

  /**
   * A foreign-key refusal in words, naming the entities involved and never PostgreSQL's text: a delete of an
   * entity others still refer to, or a write whose reference vanished meanwhile. Null for other failures.
   */
  public static String inUse(Throwable failure) {
    PgException pg = pg(failure);
    if (pg == null || !FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())) {
      return null;
    }
    String referring = pg.getTable() == null ? "other entities" : pg.getTable().replace('_', ' ');
    String message = pg.getErrorMessage() == null ? "" : pg.getErrorMessage();
    if (message.startsWith("update or delete")) {
      return "it is still in use: " + referring + " refer to it (delete them or point them elsewhere first)";
    }
    return "an entity it refers to no longer exists (it was deleted meanwhile)";
  }

  /**
   * The column of a write refused because the row it refers to no longer exists ({@code service_id}: the
   * referred row was deleted after the write found it, and its foreign key failed), or null for any other failure
   * (a delete of a row still referred to among them).
   */
  public static String vanishedReference(Throwable failure) {
    PgException pg = pg(failure);
    if (pg == null || !FOREIGN_KEY_VIOLATION.equals(pg.getSqlState()) || pg.getErrorMessage() == null
        || !pg.getErrorMessage().startsWith("insert or update")) {
      return null;
    }
    Matcher m = KEY_COLUMN.matcher(pg.getDetail() == null ? "" : pg.getDetail());
    return m.find() ? m.group(1) : null;
  }

  /** Unique constraints and indexes (V1, V6, V7, V14, V21) to the field they guard and the words for a clash. */
  private static final java.util.Map<String, FieldError> UNIQUE = java.util.Map.ofEntries(
      java.util.Map.entry("routes_name_key", new FieldError("name", "is already taken by another route")),
      java.util.Map.entry("services_name_key", new FieldError("name", "is already taken by another service")),
      java.util.Map.entry("certificates_name_key", new FieldError("name", "is already taken by another certificate")),
      java.util.Map.entry("snis_name_key", new FieldError("name", "is already served by another SNI entry")),
      java.util.Map.entry("tenants_name_key", new FieldError("name", "is already taken by another tenant")),
      java.util.Map.entry("tenants_name_any_case", new FieldError("name",
          "is already taken by another tenant (tenant names are compared ignoring case)")),
      java.util.Map.entry("consumers_tenant_id_username_key", new FieldError("username",
          "is already taken by another consumer of this tenant")),
      java.util.Map.entry("consumers_tenant_id_custom_id_key", new FieldError("custom_id",
          "is already taken by another consumer of this tenant")),
      java.util.Map.entry("credentials_key_digest_key", new FieldError("key", "is already in use by another credential")),
      java.util.Map.entry("credentials_jwt_issuer", new FieldError("issuer",
          "is already the issuer of another JWT credential of this tenant")),
      java.util.Map.entry("plugins_one_per_target", new FieldError("name", "a plugin of this policy is already on"
          + " this route, service or global scope: one plugin per policy and target (change that plugin instead)")));

  /**
   * The field a write clashed on (a unique name or key already taken) and why, in words; null for another failure
   * or a constraint this table does not know (the answer then stays the generic 409).
   */
  public static FieldError duplicate(Throwable failure) {
    PgException pg = pg(failure);
    if (pg == null || !UNIQUE_VIOLATION.equals(pg.getSqlState())) {
      return null;
    }
    FieldError known = pg.getConstraint() == null ? null : UNIQUE.get(pg.getConstraint());
    if (known == null && pg.getColumn() != null) {
      return new FieldError(pg.getColumn(), "is already taken"); // a trigger's own refusal naming its column (V21)
    }
    return known;
  }

  private static final Pattern KEY_COLUMN = Pattern.compile("^Key \\(([a-z_]+)\\)=");

  /**
   * The field and the reason of a write refused because of what refers to the row, when the refusal names them
   * ({@code "<table>.<field>: <reason>"}, as sluice_refuse words them: a certificate moved to another tenant while
   * a service of its old one names it, V19); null for any other failure, a plain foreign-key one among them.
   */
  public static FieldError inUseField(Throwable failure, boolean qualified) {
    PgException pg = pg(failure);
    if (pg == null || !FOREIGN_KEY_VIOLATION.equals(pg.getSqlState()) || pg.getColumn() == null) {
      return null;
    }
    String table = pg.getTable() == null ? "" : pg.getTable();
    Matcher m = REFUSAL.matcher(pg.getErrorMessage() == null ? "" : pg.getErrorMessage());
    return m.matches() && m.group(1).equals(table) ? new FieldError(field(table, m.group(2), qualified), m.group(3))
        : null;
  }

  /** The table a PostgreSQL error is about, or null. */
  public static String table(Throwable failure) {
    PgException pg = pg(failure);
    return pg == null ? null : pg.getTable();
  }

  /** The name of the row a refusal is about, when its detail says it ({@code Key (name)=(...)}), or null. */
  public static String keyName(Throwable failure) {
    PgException pg = pg(failure);
    Matcher m = KEY_NAME.matcher(pg == null || pg.getDetail() == null ? "" : pg.getDetail());
    return m.find() ? m.group(1) : null;
  }

  private static final Pattern KEY_NAME = Pattern.compile("^Key \\(name\\)=\\((.*?)\\)");

  private static final Pattern REFUSAL = Pattern.compile("([a-z_]+)\\.([^ :]+): (.+)", Pattern.DOTALL);

  private static String field(String table, String field, boolean qualified) {
    return qualified && !table.isEmpty() ? table + "." + field : field;
  }

  private static PgException pg(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return pg;
      }
    }
    return null;
  }
}

package io.sluice.config;

import java.util.regex.Pattern;

/** Tenant names every part agrees on. */
public final class Tenants {

  /**
   * The tenant of whatever names none: a service written without a tenant (PostgreSQL fills it in, see
   * V6__tenancy.sql), and every route of a node that serves a routes file without PostgreSQL.
   */
  public static final String DEFAULT = "default";

  /** What a tenant id looks like (any case: PostgreSQL reads either as the same uuid). */
  private static final Pattern ID_FORM =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** Why a name of that form is refused, for the field that carries it. */
  public static final String NAME_LIKE_ID = "a tenant name cannot have the form of an id (a tenant is referred to"
      + " by name or id, so such a name could be another tenant's id)";

  private Tenants() {}

  /**
   * Whether {@code name} has the form of a tenant id. Such a name is refused wherever a tenant is named into
   * being: a reference to a tenant is its name or its id, and a name that is another tenant's id would make
   * one reference name two tenants.
   */
  public static boolean looksLikeId(String name) {
    return name != null && ID_FORM.matcher(name).matches();
  }

  /** The tenant a service belongs to: its own, or the default one. */
  public static String of(String tenant) {
    return tenant == null || tenant.isEmpty() ? DEFAULT : tenant;
  }
}

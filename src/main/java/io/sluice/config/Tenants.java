package io.sluice.config;

/** Tenant names every part agrees on. */
public final class Tenants {

  /**
   * The tenant of whatever names none: a service written without a tenant (PostgreSQL fills it in, see
   * V6__tenancy.sql), and every route of a node that serves a routes file without PostgreSQL.
   */
  public static final String DEFAULT = "default";

  /** Why a name of that form is refused, for the field that carries it. */
  public static final String NAME_LIKE_ID = IdFormNames.reason("tenant");

  private Tenants() {}

  /**
   * Whether {@code name} has the form of a tenant id. Such a name is refused wherever a tenant is named into
   * being: a reference to a tenant is its name or its id, and a name that is another tenant's id would make
   * one reference name two tenants.
   */
  public static boolean looksLikeId(String name) {
    return IdFormNames.looksLikeId(name);
  }

  /** The tenant a service belongs to: its own, or the default one. */
  public static String of(String tenant) {
    return tenant == null || tenant.isEmpty() ? DEFAULT : tenant;
  }
}

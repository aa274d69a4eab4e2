package io.sluice.config;

/** Tenant names every part agrees on. */
public final class Tenants {

  /**
   * The tenant of whatever names none: a service written without a tenant (PostgreSQL fills it in, see
   * V6__tenancy.sql), and every route of a node that serves a routes file without PostgreSQL.
   */
  public static final String DEFAULT = "default";

  private Tenants() {}

  /** The tenant a service belongs to: its own, or the default one. */
  public static String of(String tenant) {
    return tenant == null || tenant.isEmpty() ? DEFAULT : tenant;
  }
}

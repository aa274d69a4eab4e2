package io.sluice.store;

/** A tenant's one projection and one write (alias {@code x}). */
final class TenantSql {

  static final String DEF = "jsonb_build_object('name', x.name)";
  static final String FROM = " from tenants x";

  /** Tenants from a JSON array of documents ($1): one from the admin API, those a declarative file names. */
  static final String INSERT = "insert into tenants (name) select d->>'name' from jsonb_array_elements($1::text::jsonb) d";

  /** $1 the document, $2 the tenant's id. */
  static final String UPDATE = "update tenants set name = d->>'name'" + Docs.ONE + " where tenants.id = $2";

  static final String FIND = "select id from tenants where name = $1 or id::text = $1";

  private TenantSql() {}
}

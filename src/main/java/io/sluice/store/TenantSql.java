package io.sluice.store;

/** A tenant's one projection and one write (alias {@code x}). */
final class TenantSql {

  static final String DEF = "jsonb_build_object('name', x.name, 'hosts', to_jsonb(x.hosts))";

  /** The document's host names ({@code d}'s, in lower case), none when it has no {@code hosts}. */
  private static final String HOSTS = "array(select lower(h) from jsonb_array_elements_text(coalesce(d->'hosts',"
      + " '[]')) h)";
  static final String FROM = " from tenants x";

  /** Tenants from a JSON array of documents ($1): one from the admin API, those a declarative file names. */
  static final String INSERT = "insert into tenants (name, hosts) select d->>'name', " + HOSTS
      + " from jsonb_array_elements($1::text::jsonb) d";

  /** $1 the document, $2 the tenant's id. */
  static final String UPDATE = "update tenants set name = d->>'name', hosts = " + HOSTS + Docs.ONE
      + " where tenants.id = $2";

  /**
   * The tenant named $1 by name or id: exactly one, or no row. A name of the form of an id is refused on
   * every write, but one stored before (or with psql) may be another tenant's id; such a reference names
   * neither tenant rather than either (it would move a service named with it to the other tenant). An id in upper
   * case is the same id (RFC 9562); a name is matched as written.
   */
  static final String FIND = "select (array_agg(id))[1] from tenants where name = $1 or id::text = lower($1)"
      + " having count(*) = 1";

  /** {@link #FIND} as a value: the tenant's id, or null. */
  static final String ONE = "(" + FIND + ")";

  /**
   * The tenants with host names assigned, each as a declarative file's entry, by name (code point order, as the
   * file sorts them): the file's {@code tenants} list.
   */
  static final String FILE = "select jsonb_build_object('name', x.name, 'hosts', to_jsonb(x.hosts))::text"
      + " from tenants x where cardinality(x.hosts) > 0 order by x.name collate \"C\"";

  private TenantSql() {}
}

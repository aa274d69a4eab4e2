package io.sluice.store;

/**
 * A service's one projection and one write. The projection is the declarative file's service (what
 * /config exports, the admin API answers and nodes build from); the write takes that same document.
 * Aliases: {@code x} the service, {@code t} its tenant.
 */
final class ServiceSql {

  /** The service in the declarative file's keys; an absent tenant and null keys left out. */
  static final String DEF = "jsonb_strip_nulls(jsonb_build_object('name', x.name, 'tenant', t.name,"
      + " 'path', x.path, 'targets', x.targets, 'load_balancing', x.load_balancing, 'retries', x.retries,"
      + " 'retry_backoff', x.retry_backoff, 'timeouts', x.timeouts, 'circuit_breaker', x.circuit_breaker,"
      + " 'tls', nullif(x.tls, '{}'::jsonb), 'health_check', x.health_check))";

  static final String FROM = " from services x left join tenants t on t.id = x.tenant_id";

  static final String COLUMNS = "name, tenant_id, path, targets, load_balancing, retries, retry_backoff, timeouts,"
      + " circuit_breaker, tls, health_check";

  /**
   * The columns from the document {@code d} ($1) and the tenant's id ($2). A nested setting left out is
   * stored empty and takes the schema's default when read.
   */
  static final String VALUES = "d->>'name', $2::uuid, coalesce(d->>'path', '/'), d->'targets',"
      + " coalesce(d->'load_balancing', '{}'), (d->>'retries')::int, coalesce(d->'retry_backoff', '{}'),"
      + " coalesce(d->'timeouts', '{}'), coalesce(d->'circuit_breaker', '{}'), coalesce(d->'tls', '{}'),"
      + " d->'health_check'";

  /** $1 the document, $2 the tenant's id (or null). */
  static final String INSERT = "insert into services (" + COLUMNS + ") select " + VALUES + Docs.ONE
      + " returning id";

  /** $1 the document, $2 the tenant's id (or null), $3 the service's id. */
  static final String UPDATE = "update services set (" + COLUMNS + ") = (select " + VALUES + Docs.ONE
      + ") where id = $3"
      + Docs.changesSomething(COLUMNS, VALUES);

  /**
   * The service named $1 by name or id: exactly one, or no row. A name of the form of an id is refused on every
   * write, but one stored before (or with psql) may be another service's id; such a reference names neither
   * service rather than either (a route read and put back would otherwise move to the other one).
   */
  static final String FIND = "select (array_agg(id))[1] from services where name = $1 or id::text = $1"
      + " having count(*) = 1";

  private ServiceSql() {}
}

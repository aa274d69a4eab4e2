package io.sluice.store;

/**
 * A route's one projection and one write. The projection holds the route's own keys of the declarative
 * file; readers add its service as they need it: by name (/config, the admin API) or by id (the change
 * reader, so that renaming a service does not change its routes). Aliases: {@code x} the route, {@code s}
 * its service, {@code t} the service's tenant.
 */
final class RouteSql {

  static final String DEF = "jsonb_build_object('name', x.name, 'hosts', to_jsonb(x.hosts),"
      + " 'paths', to_jsonb(x.paths), 'methods', to_jsonb(x.methods), 'headers', x.headers,"
      + " 'strip_path', x.strip_path, 'preserve_host', x.preserve_host, 'priority', x.priority)";

  /** The service by name, the declarative file's way. */
  static final String SERVICE_NAME = "jsonb_build_object('service', s.name)";

  static final String FROM = " from routes x join services s on s.id = x.service_id"
      + " left join tenants t on t.id = s.tenant_id";

  static final String COLUMNS = "name, service_id, hosts, paths, methods, headers, strip_path, preserve_host,"
      + " priority";

  /** The columns from the document {@code d} ($1) and the service's id ($2); an array left out is empty. */
  static final String VALUES = "d->>'name', $2::uuid, " + array("hosts", "[]") + ", " + array("paths", "[\"/\"]")
      + ", " + array("methods", "[]") + ", coalesce(d->'headers', '{}'), (d->>'strip_path')::boolean,"
      + " (d->>'preserve_host')::boolean, (d->>'priority')::int";

  /** $1 the document, $2 the service's id. */
  static final String INSERT = "insert into routes (" + COLUMNS + ") select " + VALUES + Docs.ONE + " returning id";

  /** $1 the document, $2 the service's id, $3 the route's id. */
  static final String UPDATE = "update routes set (" + COLUMNS + ") = (select " + VALUES + Docs.ONE
      + ") where id = $3"
      + Docs.changesSomething(COLUMNS, VALUES);

  /** The route named $1 by name or id: exactly one, or no row (as {@link ServiceSql#FIND}). */
  static final String FIND = "select (array_agg(id))[1] from routes where name = $1 or id::text = $1"
      + " having count(*) = 1";

  private RouteSql() {}

  private static String array(String key, String empty) {
    return "array(select jsonb_array_elements_text(coalesce(d->'" + key + "', '" + empty + "')))";
  }
}

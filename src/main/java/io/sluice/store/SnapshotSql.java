package io.sluice.store;

/**
 * The queries of a {@link SnapshotDocument}: each service, route and plugin as the declarative file's JSON object,
 * assembled by PostgreSQL (their one projection: {@link ServiceSql#DEF}, {@link RouteSql#DEF}, {@link PluginSql#DEF}).
 */
final class SnapshotSql {

  /**
   * The plugins of the file (every scope; enabled or not) as its objects, target by name (a consumer by its
   * username and tenant), ordered by scope, target and policy: the same plugins export in the same order,
   * whenever each was created (a rollback recreates a deleted one).
   */
  static final String FILE_PLUGINS = "select (" + PluginSql.DEF + " || " + PluginSql.FILE_TARGET + ")::text"
      + PluginSql.FROM + " order by x.scope, coalesce(s.name, r.name, t.name || '/' || c.username, ''), x.name";

  /**
   * {@link #FILE_PLUGINS} but those of the consumer scope: what a node's snapshot holds of the file (consumers,
   * which those plugins name, are loaded on demand, never whole).
   */
  static final String ROUTING_FILE_PLUGINS = "select (" + PluginSql.DEF + " || " + PluginSql.FILE_TARGET + ")::text"
      + PluginSql.FROM + " where x.scope <> 'consumer' order by x.scope, coalesce(s.name, r.name, ''), x.name";

  /** Every enabled plugin, its scope's target by name (consumer by id), in creation order. */
  static final String PLUGINS = "select (jsonb_build_object('id', x.id) || " + PluginSql.DEF + " || "
      + PluginSql.TARGET_NAMES + ")::text" + PluginSql.FROM + " where x.enabled order by x.created_at, x.id";

  /** One declarative service object per row, in creation order; absent tenant and null keys left out. */
  static final String SERVICES = "select " + ServiceSql.DEF + "::text" + ServiceSql.FROM + " order by x.seq";

  /**
   * The services of one tenant ($1, its id), as {@link #SERVICES}. Chosen by id, and named by the tenant's name
   * now ({@code public.tenants}, never the rebuilt table of {@link ConfigAt}): a tenant's file of an earlier version
   * is its own past even across renames (another tenant that took its old name sees none of it), and one it can
   * apply again.
   */
  static final String SERVICES_OF_TENANT = "select " + ServiceSql.DEF + "::text from services x"
      + " join public.tenants t on t.id = x.tenant_id where x.tenant_id = $1 order by x.seq";

  /** The routes of one tenant's services ($1, its id), as {@link #ROUTES}. */
  static final String ROUTES_OF_TENANT = "select (" + RouteSql.DEF + " || " + RouteSql.SERVICE_NAME + ")::text"
      + RouteSql.FROM + " where s.tenant_id = $1 order by x.seq";

  /** One declarative route object per row, in creation order (the route table's last tie-break). */
  static final String ROUTES = "select (" + RouteSql.DEF + " || " + RouteSql.SERVICE_NAME + ")::text" + RouteSql.FROM
      + " order by x.seq";

  private SnapshotSql() {}
}

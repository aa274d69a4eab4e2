package io.sluice.store;

/**
 * A plugin's one projection and one write. The projection holds the plugin's own keys; readers add its
 * scope's target by name (/config, the admin API) or by id (the change reader). Aliases: {@code x} the
 * plugin, {@code s} its service, {@code r} its route (and {@code rs} the route's service), {@code c} its
 * consumer, {@code t} the tenant of whichever it names.
 */
final class PluginSql {

  static final String DEF = "jsonb_build_object('name', x.name, 'scope', x.scope, 'config', x.config,"
      + " 'enabled', x.enabled)";

  /** The target by name (service, route) or id (consumer), absent keys left out. */
  static final String TARGET_NAMES = "jsonb_strip_nulls(jsonb_build_object('service', s.name, 'route', r.name,"
      + " 'consumer', x.consumer_id))";

  /** The target as a declarative file names it: a consumer by username and tenant. */
  static final String FILE_TARGET = "jsonb_strip_nulls(jsonb_build_object('service', s.name, 'route', r.name,"
      + " 'tenant', case when x.scope = 'consumer' then t.name end, 'consumer', c.username))";

  static final String TARGET_IDS = "jsonb_build_object('id', x.id, 'service_id', x.service_id,"
      + " 'route_id', x.route_id, 'consumer_id', x.consumer_id)";

  static final String FROM = " from plugins x left join services s on s.id = x.service_id"
      + " left join routes r on r.id = x.route_id left join services rs on rs.id = r.service_id"
      + " left join consumers c on c.id = x.consumer_id"
      + " left join tenants t on t.id = coalesce(s.tenant_id, rs.tenant_id, c.tenant_id)";

  static final String COLUMNS = "name, scope, service_id, route_id, consumer_id, config, enabled";

  /** The columns from the document {@code d} ($1) and the target's ids ($2 service, $3 route, $4 consumer). */
  static final String VALUES = "d->>'name', d->>'scope', $2::uuid, $3::uuid, $4::uuid, coalesce(d->'config', '{}'),"
      + " coalesce((d->>'enabled')::boolean, true)";

  static final String INSERT = "insert into plugins (" + COLUMNS + ") select " + VALUES + Docs.ONE + " returning id";

  /** $1 the document, $2..$4 the target's ids, $5 the plugin's id. */
  static final String UPDATE = "update plugins set (" + COLUMNS + ") = (select " + VALUES + Docs.ONE
      + ") where id = $5"
      + Docs.changesSomething(COLUMNS, VALUES);

  private PluginSql() {}
}

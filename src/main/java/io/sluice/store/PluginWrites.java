package io.sluice.store;

import io.sluice.config.PluginEntry;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * The declarative file's writes of plugins, inside the caller's transaction. A file names a plugin by policy,
 * scope and target name (its key; a consumer by tenant and username), so updates and deletes find the row by
 * that key.
 */
final class PluginWrites {

  /** The ids of the target named in $3 (service) and $4 (route) of a file's plugin. */
  private static final String SERVICE_ID = "(select id from services where name = $3::text)";
  private static final String ROUTE_ID = "(select id from routes where name = $4::text)";
  /** The consumer of tenant $5 and username $6. */
  private static final String CONSUMER_ID = "(select c.id from consumers c join tenants t on t.id = c.tenant_id"
      + " where t.name = $5::text and c.username = $6::text)";

  /** The plugin of policy $1, scope $2 and target $3 (service), $4 (route) or $5 and $6 (consumer). */
  private static final String KEY = " where name = $1::text and scope = $2::text and service_id is not distinct from "
      + SERVICE_ID + " and route_id is not distinct from " + ROUTE_ID + " and consumer_id is not distinct from "
      + CONSUMER_ID;

  private static final String INSERT = "insert into plugins (" + PluginSql.COLUMNS + ") select $1::text, $2::text, "
      + SERVICE_ID + ", " + ROUTE_ID + ", " + CONSUMER_ID + ", coalesce(d->'config', '{}'),"
      + " coalesce((d->>'enabled')::boolean, true) from (select $7::text::jsonb as d) one";

  private static final String UPDATE = "update plugins set config = coalesce($7::text::jsonb->'config', '{}'),"
      + " enabled = coalesce(($7::text::jsonb->>'enabled')::boolean, true)" + KEY;

  private static final String DELETE = "delete from plugins" + KEY;

  private PluginWrites() {}

  static Future<Void> insert(SqlConnection conn, List<PluginEntry> plugins) {
    return batch(conn, INSERT, plugins);
  }

  static Future<Void> update(SqlConnection conn, List<PluginEntry> plugins) {
    return batch(conn, UPDATE, plugins);
  }

  static Future<Void> delete(SqlConnection conn, List<PluginEntry> plugins) {
    return batch(conn, DELETE, plugins);
  }

  private static Future<Void> batch(SqlConnection conn, String sql, List<PluginEntry> plugins) {
    if (plugins.isEmpty()) {
      return Future.succeededFuture();
    }
    boolean doc = sql.contains("$7");
    return conn.preparedQuery(sql).executeBatch(plugins.stream().map(p -> {
      Tuple key = Tuple.of(p.name(), p.scope(), p.service(), p.route(), p.tenant(), p.consumer());
      return doc ? key.addString(Docs.json(p)) : key;
    }).toList()).mapEmpty();
  }
}

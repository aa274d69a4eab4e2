package io.sluice.store;

import io.sluice.config.GatewayConfig;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Seeds an empty configuration from a declarative one, inside the caller's transaction. The counter's row
 * is locked first, so two nodes seeding at once are serialized and the second finds the data of the first.
 * Also the writes that {@link ConfigDiff} shares: the entities' one write each ({@link TenantSql},
 * {@link ServiceSql}, {@link RouteSql}), their references resolved by name.
 */
final class ConfigImport {

  private ConfigImport() {}

  static Future<OptionalLong> intoEmpty(SqlConnection conn, GatewayConfig config) {
    return conn.query(ConfigStore.VERSION + " for update").execute()
        .compose(v -> conn.query("select exists (select 1 from services) or exists (select 1 from routes)")
            .execute())
        .compose(rows -> {
          if (rows.iterator().next().getBoolean(0)) {
            return Future.succeededFuture(OptionalLong.empty());
          }
          return write(conn, config)
              .compose(v -> conn.query(ConfigStore.VERSION).execute())
              .map(version -> OptionalLong.of(ConfigStore.single(version)));
        });
  }

  private static Future<Void> write(SqlConnection conn, GatewayConfig config) {
    List<String> tenants = config.services().stream().map(ServiceDef::tenant).filter(Objects::nonNull)
        .collect(Collectors.toCollection(LinkedHashSet::new)).stream().toList();
    return createTenants(conn, tenants)
        .compose(v -> insertServices(conn, config.services()))
        .compose(v -> insertRoutes(conn, config.routes()));
  }

  /** Creates the tenants of these names that do not exist yet. */
  static Future<Void> createTenants(SqlConnection conn, Collection<String> names) {
    if (names.isEmpty()) {
      return Future.succeededFuture();
    }
    JsonArray docs = new JsonArray();
    names.forEach(n -> docs.add(new JsonObject().put("name", n)));
    return conn.preparedQuery(TenantSql.INSERT + " on conflict (name) do nothing").execute(Tuple.of(docs.encode()))
        .mapEmpty();
  }

  static Future<Void> insertServices(SqlConnection conn, List<ServiceDef> services) {
    return services.isEmpty() ? Future.succeededFuture() : ids(conn, "tenants", services.stream()
        .map(ServiceDef::tenant).filter(Objects::nonNull).toList())
        .compose(tenants -> conn.preparedQuery(ServiceSql.INSERT).executeBatch(services.stream()
            .map(s -> Tuple.of(Docs.json(s), s.tenant() == null ? null : tenants.get(s.tenant()))).toList()))
        .mapEmpty();
  }

  /** Updates services by name (a name is the key of a declarative file). */
  static Future<Void> updateServices(SqlConnection conn, List<ServiceDef> services) {
    if (services.isEmpty()) {
      return Future.succeededFuture();
    }
    return ids(conn, "tenants", services.stream().map(ServiceDef::tenant).filter(Objects::nonNull).toList())
        .compose(tenants -> ids(conn, "services", services.stream().map(ServiceDef::name).toList())
            .compose(ids -> conn.preparedQuery(ServiceSql.UPDATE).executeBatch(services.stream()
                .map(s -> Tuple.of(Docs.json(s), s.tenant() == null ? null : tenants.get(s.tenant()),
                    ids.get(s.name()))).toList())))
        .mapEmpty();
  }

  static Future<Void> insertRoutes(SqlConnection conn, List<RouteDef> routes) {
    return routes.isEmpty() ? Future.succeededFuture() : ids(conn, "services", routes.stream()
        .map(RouteDef::service).toList())
        .compose(services -> conn.preparedQuery(RouteSql.INSERT).executeBatch(routes.stream()
            .map(r -> Tuple.of(Docs.json(r), services.get(r.service()))).toList()))
        .mapEmpty();
  }

  /** Updates routes by name. */
  static Future<Void> updateRoutes(SqlConnection conn, List<RouteDef> routes) {
    if (routes.isEmpty()) {
      return Future.succeededFuture();
    }
    return ids(conn, "services", routes.stream().map(RouteDef::service).toList())
        .compose(services -> ids(conn, "routes", routes.stream().map(RouteDef::name).toList())
            .compose(ids -> conn.preparedQuery(RouteSql.UPDATE).executeBatch(routes.stream()
                .map(r -> Tuple.of(Docs.json(r), services.get(r.service()), ids.get(r.name()))).toList())))
        .mapEmpty();
  }

  /** The ids of the rows of {@code table} with these names. */
  private static Future<Map<String, UUID>> ids(SqlConnection conn, String table, List<String> names) {
    if (names.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return conn.preparedQuery("select name, id from " + table + " where name = any($1::text[])")
        .execute(Tuple.of(new ArrayList<>(new LinkedHashSet<>(names)).toArray(String[]::new))).map(rows -> {
          Map<String, UUID> out = new HashMap<>();
          rows.forEach(r -> out.put(r.getString(0), r.getUUID(1)));
          return out;
        });
  }
}

package io.sluice.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.GatewayConfig;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Seeds an empty configuration from a declarative one, inside the caller's transaction. The counter's row
 * is locked first, so two nodes seeding at once are serialized and the second finds the data of the first.
 */
final class ConfigImport {

  static final String INSERT_TENANTS =
      "insert into tenants (name) select unnest($1::text[]) on conflict (name) do nothing";

  // A String bound to a jsonb parameter is encoded as a JSON string: bind text and cast. A setting left
  // null (a record built in code rather than parsed) is stored empty and takes the schema default on read.
  static final String INSERT_SERVICE = """
      insert into services (name, tenant_id, path, targets, load_balancing, retries, retry_backoff, timeouts,
                            circuit_breaker)
      values ($1, (select id from tenants where name = $2), coalesce($3::text, '/'), $4::text::jsonb,
              coalesce($5::text::jsonb, '{}'), $6, coalesce($7::text::jsonb, '{}'),
              coalesce($8::text::jsonb, '{}'), coalesce($9::text::jsonb, '{}'))""";

  static final String INSERT_ROUTE = """
      insert into routes (name, service_id, hosts, paths, methods, headers, strip_path, preserve_host, priority)
      values ($1, (select id from services where name = $2), coalesce($3::text[], '{}'),
              coalesce($4::text[], '{/}'), coalesce($5::text[], '{}'), coalesce($6::text::jsonb, '{}'), $7, $8,
              $9)""";

  private static final ObjectMapper JSON = new ObjectMapper();

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
    String[] tenants = config.services().stream().map(ServiceDef::tenant).filter(Objects::nonNull)
        .collect(Collectors.toCollection(LinkedHashSet::new)).toArray(String[]::new);
    List<Tuple> services = config.services().stream().map(ConfigImport::service).toList();
    List<Tuple> routes = config.routes().stream().map(ConfigImport::route).toList();
    Future<?> f = tenants.length == 0 ? Future.succeededFuture()
        : conn.preparedQuery(INSERT_TENANTS).execute(Tuple.of(tenants));
    if (!services.isEmpty()) {
      f = f.compose(v -> conn.preparedQuery(INSERT_SERVICE).executeBatch(services));
    }
    if (!routes.isEmpty()) {
      f = f.compose(v -> conn.preparedQuery(INSERT_ROUTE).executeBatch(routes));
    }
    return f.mapEmpty();
  }

  /** The parameters of INSERT_SERVICE (and of ConfigDiff's update, same order). */
  static Tuple service(ServiceDef s) {
    return Tuple.tuple(Arrays.asList(s.name(), s.tenant(), s.path(), json(s.targets()),
        json(s.loadBalancing()), s.retries(), json(s.retryBackoff()), json(s.timeouts()),
        json(s.circuitBreaker())));
  }

  /** The parameters of INSERT_ROUTE (and of ConfigDiff's update, same order). */
  static Tuple route(RouteDef r) {
    return Tuple.tuple(Arrays.asList(r.name(), r.service(), array(r.hosts()), array(r.paths()),
        array(r.methods()), json(r.headers()), r.stripPath(), r.preserveHost(), r.priority()));
  }

  private static String[] array(List<String> values) {
    return values == null ? null : values.toArray(String[]::new);
  }

  private static String json(Object value) {
    if (value == null) {
      return null;
    }
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}

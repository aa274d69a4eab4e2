package io.sluice.store;

import io.sluice.config.FieldDiff;
import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginEntry;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.sluice.config.Tenants;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What applying a declarative file to the stored configuration changes, by name: services and routes
 * created, updated (only when a field differs, defaults filled in on both sides) or deleted (absent from
 * the file), plugins likewise by policy and target ({@link PluginEntry#key}), and tenants created when a
 * service names one that does not exist yet. Tenants are never
 * deleted here: they also own consumers, which the file does not carry.
 *
 * <p>{@link #between} is a pure function (unit-testable); {@link #write} runs the statements inside the
 * caller's transaction in an order foreign keys accept: tenants, services created or updated, plugins
 * deleted, routes deleted, routes created or updated, plugins created or updated, services deleted.
 */
public final class ConfigDiff {

  /**
   * One entity changed: entity is tenant, service or route; op is create, update or delete; fields, for an
   * update, what changed (path, old, new).
   */
  public record Item(String entity, String name, String op, List<FieldDiff.Change> fields) {

    public Item(String entity, String name, String op) {
      this(entity, name, op, List.of());
    }
  }

  /** The diff and the configuration version it leaves (the current one for a dry run or no change). */
  public record Result(long version, List<Item> changes, boolean applied) {

    public long count(String op) {
      return changes.stream().filter(c -> c.op().equals(op)).count();
    }
  }

  static final String DELETE_ROUTES = "delete from routes where name = any($1::text[])";
  static final String DELETE_SERVICES = "delete from services where name = any($1::text[])";

  private final List<String> tenantsToCreate;
  private final List<ServiceDef> servicesToCreate = new ArrayList<>();
  private final List<ServiceDef> servicesToUpdate = new ArrayList<>();
  /** What changed in each updated service and route, by name. */
  private final Map<String, List<FieldDiff.Change>> serviceFields = new LinkedHashMap<>();
  private final Map<String, List<FieldDiff.Change>> routeFields = new LinkedHashMap<>();
  private final List<String> servicesToDelete = new ArrayList<>();
  private final List<RouteDef> routesToCreate = new ArrayList<>();
  private final List<RouteDef> routesToUpdate = new ArrayList<>();
  private final List<String> routesToDelete = new ArrayList<>();
  private final List<PluginEntry> pluginsToCreate = new ArrayList<>();
  private final List<PluginEntry> pluginsToUpdate = new ArrayList<>();
  private final Map<String, List<FieldDiff.Change>> pluginFields = new LinkedHashMap<>();
  private final List<PluginEntry> pluginsToDelete = new ArrayList<>();

  private ConfigDiff(GatewayConfig current, GatewayConfig wanted, Set<String> tenants) {
    tenantsToCreate = wanted.services().stream().map(ServiceDef::tenant).filter(Objects::nonNull)
        .filter(t -> !tenants.contains(t)).distinct().toList();
    Map<String, ServiceDef> services = byName(current.services(), ServiceDef::name);
    for (ServiceDef s : wanted.services()) {
      ServiceDef old = services.remove(s.name());
      if (old == null) {
        servicesToCreate.add(s);
      } else if (!old.equals(tenanted(s))) {
        servicesToUpdate.add(s);
        serviceFields.put(s.name(), FieldDiff.between(tenanted(old), tenanted(s)));
      }
    }
    servicesToDelete.addAll(services.keySet());
    Map<String, RouteDef> routes = byName(current.routes(), RouteDef::name);
    for (RouteDef r : wanted.routes()) {
      RouteDef old = routes.remove(r.name());
      if (old == null) {
        routesToCreate.add(r);
      } else if (!old.equals(r)) {
        routesToUpdate.add(r);
        routeFields.put(r.name(), FieldDiff.between(old, r));
      }
    }
    routesToDelete.addAll(routes.keySet());
    Map<String, PluginEntry> plugins = byName(current.plugins(), PluginEntry::key);
    for (PluginEntry p : wanted.plugins()) {
      PluginEntry old = plugins.remove(p.key());
      if (old == null) {
        pluginsToCreate.add(p);
      } else if (!old.equals(p)) {
        pluginsToUpdate.add(p);
        pluginFields.put(p.key(), FieldDiff.between(old, p));
      }
    }
    pluginsToDelete.addAll(plugins.values());
  }

  /** The service as stored: one that names no tenant belongs to the default tenant. */
  private static ServiceDef tenanted(ServiceDef s) {
    return s.tenant() != null ? s : s.withTenant(Tenants.DEFAULT);
  }

  /** The diff from {@code current} (with the tenant names that exist) to {@code wanted}. */
  public static ConfigDiff between(GatewayConfig current, GatewayConfig wanted, Set<String> tenants) {
    return new ConfigDiff(current, wanted, tenants);
  }

  /** Every change, in the order it is written. */
  public List<Item> changes() {
    List<Item> out = new ArrayList<>();
    tenantsToCreate.forEach(t -> out.add(new Item("tenant", t, "create")));
    servicesToCreate.forEach(s -> out.add(new Item("service", s.name(), "create")));
    servicesToUpdate.forEach(s -> out.add(new Item("service", s.name(), "update", serviceFields.get(s.name()))));
    pluginsToDelete.forEach(p -> out.add(new Item("plugin", p.key(), "delete")));
    routesToDelete.forEach(r -> out.add(new Item("route", r, "delete")));
    routesToCreate.forEach(r -> out.add(new Item("route", r.name(), "create")));
    routesToUpdate.forEach(r -> out.add(new Item("route", r.name(), "update", routeFields.get(r.name()))));
    pluginsToCreate.forEach(p -> out.add(new Item("plugin", p.key(), "create")));
    pluginsToUpdate.forEach(p -> out.add(new Item("plugin", p.key(), "update", pluginFields.get(p.key()))));
    servicesToDelete.forEach(s -> out.add(new Item("service", s, "delete")));
    return out;
  }

  public boolean isEmpty() {
    return changes().isEmpty();
  }

  /** Runs the statements on {@code conn}, which must be inside a transaction (all or nothing). */
  Future<Void> write(SqlConnection conn) {
    return ConfigImport.createTenants(conn, tenantsToCreate)
        .compose(v -> ConfigImport.insertServices(conn, servicesToCreate))
        .compose(v -> ConfigImport.updateServices(conn, servicesToUpdate))
        .compose(v -> PluginWrites.delete(conn, pluginsToDelete))
        .compose(v -> names(conn, DELETE_ROUTES, routesToDelete))
        .compose(v -> ConfigImport.insertRoutes(conn, routesToCreate))
        .compose(v -> ConfigImport.updateRoutes(conn, routesToUpdate))
        .compose(v -> PluginWrites.insert(conn, pluginsToCreate))
        .compose(v -> PluginWrites.update(conn, pluginsToUpdate))
        .compose(v -> names(conn, DELETE_SERVICES, servicesToDelete));
  }

  private static Future<Void> names(SqlConnection conn, String sql, List<String> names) {
    return names.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(sql).execute(Tuple.of(names.toArray(String[]::new))).mapEmpty();
  }

  private static <T> Map<String, T> byName(List<T> items, Function<T, String> name) {
    return items.stream().collect(Collectors.toMap(name, i -> i, (a, b) -> a, LinkedHashMap::new));
  }
}

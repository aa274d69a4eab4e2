package io.sluice.store;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.credential.CacheKeys;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The sync leader's reads: the change log after a version and the state of each changed entity, loaded
 * once however many times it changed, all in one REPEATABLE READ read-only transaction so that the
 * entities are exactly the state of the last version read. Services and routes are kept as
 * {@code {"seq": N, "changed_in": V, "def": {...}}} with the declarative file's keys (their one projection,
 * see {@link ServiceSql} and {@link RouteSql}); a route names its service by id ({@code "service_id"}) so
 * that renaming a service changes one entry, not its routes; a plugin holds its own keys and its target's ids.
 */
public final class ChangeReader {

  private static final String SERVICES = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'def', " + ServiceSql.DEF + ")::text" + ServiceSql.FROM;

  private static final String ROUTES = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'service_id', x.service_id, 'def', " + RouteSql.DEF + ")::text from routes x";

  /** A plugin, enabled or not, with its references by id (names are resolved when the table is built). */
  private static final String PLUGINS = "select x.id, (jsonb_build_object('seq',"
      + " (extract(epoch from x.created_at) * 1000000)::bigint, 'changed_in', x.changed_in) || "
      + PluginSql.TARGET_IDS + " || " + PluginSql.DEF + ")::text from plugins x";

  private static final String CERTIFICATES = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'def', " + CertificateSql.SYNC_DEF + ")::text from certificates x";

  private static final String SNIS = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'def', " + CertificateSql.SNI_DEF + ")::text from snis x";

  /** The current version and the change log after $1 up to it, in one round trip (one row of nulls: none). */
  private static final String CHANGES = """
      select v.version, c.version, c.entity, c.id, (extract(epoch from c.at) * 1000)::bigint
        from config_version v
        left join change_log c on c.version > $1 and c.version <= v.version
       where v.id = 1
       order by c.version, c.entity, c.id""";

  private static final String CACHE_KEYS = """
      select encode(key_digest, 'hex'), jwt_issuer from credentials
       where id = any($1::uuid[]) or consumer_id = any($2::uuid[])
      union all
      select encode(key_digest, 'hex'), jwt_issuer from credential_keys_retired
       where version > $3 and version <= $4""";

  private final Pool pool;

  public ChangeReader(Pool pool) {
    this.pool = pool;
  }


  /** Everything committed after {@code after}; an empty delta when nothing was. */
  public Future<Delta> after(long after) {
    return readOnly(conn -> conn.preparedQuery(CHANGES).execute(Tuple.of(after)).compose(rows -> {
      long version = rows.iterator().next().getLong(0);
      if (version <= after) {
        return Future.succeededFuture(new Delta(version, after, false, Map.of(), List.of(), List.of(), List.of()));
      }
      {
        Set<EntityKey> keys = new LinkedHashSet<>();
        Set<String> cacheKeys = new LinkedHashSet<>();
        Map<Long, Long> at = new TreeMap<>();
        Map<EntityType, List<UUID>> ids = new EnumMap<>(EntityType.class);
        for (Row r : rows) {
          if (r.getLong(1) == null) {
            continue;
          }
          EntityKey key = new EntityKey(EntityType.ofTable(r.getString(2)), r.getUUID(3));
          at.putIfAbsent(r.getLong(1), r.getLong(4));
          if (keys.add(key)) {
            ids.computeIfAbsent(key.type(), e -> new ArrayList<>()).add(key.id());
          }
        }
        UUID[] services = array(ids.get(EntityType.SERVICE));
        UUID[] routes = array(ids.get(EntityType.ROUTE));
        UUID[] tenants = array(ids.get(EntityType.TENANT));
        UUID[] credentials = array(ids.get(EntityType.CREDENTIAL));
        UUID[] consumers = array(ids.get(EntityType.CONSUMER));
        UUID[] plugins = array(ids.get(EntityType.PLUGIN));
        UUID[] certificates = array(ids.get(EntityType.CERTIFICATE));
        UUID[] snis = array(ids.get(EntityType.SNI));
        Map<EntityKey, String> entries = new HashMap<>();
        // Every changed key starts as gone; the rows found below overwrite the ones that still exist.
        for (EntityKey k : keys) {
          if (k.type().held()) {
            entries.put(k, null);
          }
        }
        Future<Void> loads = Future.succeededFuture();
        if (services.length + tenants.length > 0) {
          // A tenant renamed changes the services that name it.
          loads = loads.compose(v -> conn.preparedQuery(SERVICES + " where x.id = any($1::uuid[])"
                  + " or x.tenant_id = any($2::uuid[])").execute(Tuple.tuple().addArrayOfUUID(services).addArrayOfUUID(tenants))
              .map(found -> put(EntityType.SERVICE, found, entries, keys)));
        }
        if (routes.length > 0) {
          loads = loads.compose(v -> conn.preparedQuery(ROUTES + " where x.id = any($1::uuid[])")
              .execute(Tuple.tuple().addArrayOfUUID(routes)).map(found -> put(EntityType.ROUTE, found, entries, keys)));
        }
        if (plugins.length > 0) {
          loads = loads.compose(v -> conn.preparedQuery(PLUGINS + " where x.id = any($1::uuid[])")
              .execute(Tuple.tuple().addArrayOfUUID(plugins)).map(found -> put(EntityType.PLUGIN, found, entries, keys)));
        }
        if (certificates.length > 0) {
          loads = loads.compose(v -> conn.preparedQuery(CERTIFICATES + " where x.id = any($1::uuid[])")
              .execute(Tuple.tuple().addArrayOfUUID(certificates))
              .map(found -> put(EntityType.CERTIFICATE, found, entries, keys)));
        }
        if (snis.length > 0) {
          loads = loads.compose(v -> conn.preparedQuery(SNIS + " where x.id = any($1::uuid[])")
              .execute(Tuple.tuple().addArrayOfUUID(snis)).map(found -> put(EntityType.SNI, found, entries, keys)));
        }
        if (credentials.length + consumers.length > 0) {
          loads = loads.compose(v -> conn.preparedQuery(CACHE_KEYS)
              .execute(Tuple.tuple().addArrayOfUUID(credentials).addArrayOfUUID(consumers).addLong(after)
                  .addLong(version)).map(found -> {
                for (Row r : found) {
                  if (r.getString(0) != null) {
                    cacheKeys.add(CacheKeys.apiKey(r.getString(0)));
                  }
                  if (r.getString(1) != null) {
                    cacheKeys.add(CacheKeys.jwtIssuer(r.getString(1)));
                  }
                }
                return null;
              }));
        }
        return loads.map(v -> new Delta(version, after, false, entries, List.copyOf(keys),
            List.copyOf(cacheKeys), List.copyOf(at.values())));
      }
    }));
  }

  /** Every service and route as of the current version: the first fill, or a rewrite after a merge. */
  public Future<Delta> all(long previous) {
    return readOnly(conn -> conn.query(ConfigStore.VERSION).execute().map(ConfigStore::single)
        .compose(version -> {
          Map<EntityKey, String> entries = new HashMap<>();
          Set<EntityKey> keys = new LinkedHashSet<>();
          return conn.query(SERVICES).execute().map(rows -> put(EntityType.SERVICE, rows, entries, keys))
              .compose(v -> conn.query(ROUTES).execute().map(rows -> put(EntityType.ROUTE, rows, entries, keys)))
              .compose(v -> conn.query(PLUGINS).execute().map(rows -> put(EntityType.PLUGIN, rows, entries, keys)))
              .compose(v -> conn.query(CERTIFICATES).execute()
                  .map(rows -> put(EntityType.CERTIFICATE, rows, entries, keys)))
              .compose(v -> conn.query(SNIS).execute().map(rows -> put(EntityType.SNI, rows, entries, keys)))
              .map(v -> new Delta(version, previous, true, entries, List.copyOf(keys), List.of(), List.of()));
        }));
  }

  /** Drops retired cache keys of versions the cluster has published (nothing will ask for them again). */
  public Future<Void> pruneRetired(long upTo) {
    return pool.preparedQuery("delete from credential_keys_retired where version <= $1").execute(Tuple.of(upTo))
        .mapEmpty();
  }

  private static Void put(EntityType type, Iterable<Row> rows, Map<EntityKey, String> entries, Set<EntityKey> keys) {
    for (Row r : rows) {
      EntityKey key = new EntityKey(type, r.getUUID(0));
      entries.put(key, r.getString(1));
      keys.add(key);
    }
    return null;
  }

  private static UUID[] array(List<UUID> ids) {
    return ids == null ? new UUID[0] : ids.toArray(UUID[]::new);
  }

  /**
   * Runs {@code work} in one REPEATABLE READ read-only transaction, begun and ended with one simple query
   * each (a round trip fewer than begin() then SET TRANSACTION: this is on the path of every change).
   */
  private <T> Future<T> readOnly(java.util.function.Function<SqlConnection, Future<T>> work) {
    return pool.withConnection(conn -> conn.query("begin isolation level repeatable read read only").execute()
        .compose(v -> work.apply(conn))
        .transform(ar -> conn.query(ar.succeeded() ? "commit" : "rollback").execute()
            .transform(ignored -> ar.succeeded() ? Future.succeededFuture(ar.result())
                : Future.<T>failedFuture(ar.cause()))));
  }
}

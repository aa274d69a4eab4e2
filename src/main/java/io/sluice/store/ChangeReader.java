package io.sluice.store;

import io.sluice.config.EntityKey;
import io.sluice.config.EntityType;
import io.sluice.credential.CacheKeys;
import io.vertx.core.Future;
import io.vertx.core.Promise;
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

  /** With the tenant's id beside the definition: access records and the stream key tenants by id. */
  static final String SERVICES = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'tenant_id', x.tenant_id, 'def', " + ServiceSql.DEF + ")::text" + ServiceSql.FROM;

  static final String ROUTES = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'service_id', x.service_id, 'def', " + RouteSql.DEF + ")::text from routes x";

  /** A plugin, enabled or not, with its references by id (names are resolved when the table is built). */
  private static final String PLUGINS = "select x.id, (jsonb_build_object('seq',"
      + " (extract(epoch from x.created_at) * 1000000)::bigint, 'changed_in', x.changed_in) || "
      + PluginSql.TARGET_IDS + " || " + PluginSql.DEF + ")::text from plugins x";

  /** Change-log rows one read publishes at most (a single version is never split: it may be bigger). */
  static final int PAGE_ROWS = 10_000;
  /** Consumer and credential changes evicted key by key up to this many; past it, the caches are flushed. */
  static final int EVICT_KEYS_MAX = 1_000;
  private static final String CACHED = "'{consumers,credentials}'::text[]";

  /**
   * The version of the page's last row: the {@code $2 + 1}th row after version $1, looked for among the
   * versions ($1, $1 + $2 + 1] only. Versions are consecutive and each has a row (a version without one only
   * ends the page sooner: see {@link #UP_TO}), so that row lies in that range when it exists. The bound keeps
   * the scan to the rows of the page whatever the log holds: without it PostgreSQL sorted the whole log on
   * every read whenever it misjudged how many rows follow $1 (a table not analyzed yet, a generic plan), a
   * cost that grew with the log instead of with the change.
   */
  private static final String PAGE_END = "(select c.version from change_log c where c.version > $1"
      + " and c.version <= $1 + $2 + 1 order by c.version offset $2 limit 1)";

  /**
   * The last version of the page after $1: that of its {@code $2 + 1}th row, else (fewer rows follow among the
   * next $2 + 1 versions) the current version or $1 + $2 + 1, whichever comes first. In SQL: the page's queries
   * are sent together with the bounds (pipelined, one round trip) and see the same snapshot (REPEATABLE READ).
   */
  private static final String UP_TO = "(select least(v.version, coalesce(" + PAGE_END + ", $1 + $2 + 1))"
      + " from config_version v where v.id = 1)";

  /**
   * The current version, the last version of the page after $1 ({@link #UP_TO}) and the oldest version still in
   * the log (null when empty), in one round trip.
   */
  private static final String BOUNDS = "select v.version, " + UP_TO + ", (select min(c.version) from change_log c)"
      + " from config_version v where v.id = 1";

  /** Per version of the page: its commit time and how many consumer and credential rows it changed. */
  private static final String VERSIONS = "select version, (extract(epoch from min(at)) * 1000)::bigint,"
      + " count(*) filter (where entity = any(" + CACHED + ")) from change_log"
      + " where version > $1 and version <= " + UP_TO + " group by version order by version";

  /** The changed rows of the page that nodes hold in memory (or that rename them: tenants). */
  private static final String ROUTING_ROWS = "select entity, id, bool_or(op <> 'insert') from change_log"
      + " where version > $1 and version <= " + UP_TO + " and entity <> all(" + CACHED + ") group by entity, id";

  /** The changed consumer and credential rows of the page (read only when few enough to evict one by one). */
  private static final String CACHED_ROWS = "select distinct entity, id, false from change_log"
      + " where version > $1 and version <= $2 and entity = any(" + CACHED + ")";

  private static final String CERTIFICATES = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'def', " + CertificateSql.SYNC_DEF + ")::text from certificates x";

  static final String SNIS = "select x.id, jsonb_build_object('seq', x.seq, 'changed_in', x.changed_in,"
      + " 'def', " + CertificateSql.SNI_DEF + ")::text from snis x";

  /** The ids of the page's change-log rows of one table ($3). */
  private static final String PAGE_IDS = "(select c.id from change_log c where c.version > $1 and c.version <= " + UP_TO
      + " and c.entity = $3)";

  /**
   * The entities of one table whose ids the page's change-log rows name ($3; services also those of the tenants
   * it names, $4), sent with the bounds: the loads ride in the read's one round trip instead of a second one.
   */
  private static final Map<EntityType, String> PAGE_LOADS = Map.of(
      EntityType.SERVICE, SERVICES + " where x.id in " + PAGE_IDS + " or x.tenant_id in "
          + PAGE_IDS.replace("$3", "$4"),
      EntityType.ROUTE, ROUTES + " where x.id in " + PAGE_IDS,
      EntityType.PLUGIN, PLUGINS + " where x.id in " + PAGE_IDS,
      EntityType.CERTIFICATE, CERTIFICATES + " where x.id in " + PAGE_IDS,
      EntityType.SNI, SNIS + " where x.id in " + PAGE_IDS);

  /** The tables whose changed entities nodes hold, in the order their loads are sent. */
  private static final List<EntityType> LOADED = List.of(EntityType.SERVICE, EntityType.ROUTE, EntityType.PLUGIN,
      EntityType.CERTIFICATE, EntityType.SNI);

  private static final String CACHE_KEYS = """
      select encode(k.key_digest, 'hex'), k.jwt_issuer, t.name from credentials k
        join tenants t on t.id = k.tenant_id
       where k.id = any($1::uuid[]) or k.consumer_id = any($2::uuid[])
      union all
      select encode(key_digest, 'hex'), jwt_issuer, tenant from credential_keys_retired
       where version > $3 and version <= $4""";

  private final Pool pool;

  public ChangeReader(Pool pool) {
    this.pool = pool;
  }


  /**
   * What was committed after {@code after}, one page at a time: whole versions up to about
   * {@value #PAGE_ROWS} change-log rows (the delta's version is then below the current one, and the caller
   * reads again). Memory stays bounded whatever one transaction changed: the services, routes and plugins
   * are loaded (nodes hold them anyway), consumer and credential changes are only counted, and past
   * {@value #EVICT_KEYS_MAX} of them the delta asks for the consumer caches to be flushed instead of naming
   * keys. When the log no longer holds the versions after {@code after} (pruned), or PostgreSQL's version is below
   * {@code after} (a restored database: {@link Delta#regressed}), the answer is a full delta.
   */
  public Future<Delta> after(long after) {
    return readOnly((conn, end) -> {
      // On the path of every change: the bounds, the page's rows and the entities they name in one round trip
      // (see UP_TO and PAGE_LOADS); a second one only for consumer and credential changes (their cache keys).
      Tuple page = Tuple.of(after, PAGE_ROWS - 1);
      Future<io.vertx.sqlclient.RowSet<Row>> bounded = conn.preparedQuery(BOUNDS).execute(page);
      Future<io.vertx.sqlclient.RowSet<Row>> versions = conn.preparedQuery(VERSIONS).execute(page);
      Future<io.vertx.sqlclient.RowSet<Row>> routing = conn.preparedQuery(ROUTING_ROWS).execute(page);
      Map<EntityType, Future<io.vertx.sqlclient.RowSet<Row>>> loaded = new EnumMap<>(EntityType.class);
      for (EntityType type : LOADED) {
        Tuple args = Tuple.of(after, PAGE_ROWS - 1, type.table());
        if (type == EntityType.SERVICE) {
          args.addString(EntityType.TENANT.table());
        }
        loaded.put(type, conn.preparedQuery(PAGE_LOADS.get(type)).execute(args));
      }
      List<Future<?>> answers = new ArrayList<>(List.of(bounded, versions, routing));
      answers.addAll(loaded.values());
      return Future.all(answers).compose(x -> page(conn, end, after, bounded.result(), versions.result(),
          routing.result(), loaded));
    });
  }

  /** The delta of the page after {@code after}, from the rows and entities read with its bounds. */
  private Future<Delta> page(SqlConnection conn, End end, long after, Iterable<Row> rows, Iterable<Row> versions,
                             Iterable<Row> routing, Map<EntityType, ? extends Future<? extends Iterable<Row>>> loaded) {
    Row bounds = rows.iterator().next();
    long current = bounds.getLong(0);
    if (current < after) {
      // The cluster published a version PostgreSQL never reached (or no longer holds): versions up to `after`
      // are not this database's, so nothing read before can be trusted.
      return all(conn, after, "PostgreSQL holds configuration version " + current + ", below the " + after
          + " the cluster published (a database restored from an older backup, or its counter set back)");
    }
    if (current == after) {
      return Future.succeededFuture(new Delta(current, after, false, Map.of(), List.of(), List.of(), false,
          List.of(), null, false));
    }
    Long oldest = bounds.getLong(2);
    if (oldest == null || oldest > after + 1) {
      return all(conn, after, "the change log no longer holds the versions after " + after);
    }
    long upTo = bounds.getLong(1);
    Tuple range = Tuple.of(after, upTo);
    List<Long> at = new ArrayList<>();
    long[] cached = {0};
    boolean[] tenantChanged = {false};
    Set<EntityKey> keys = new LinkedHashSet<>();
    Map<EntityType, List<UUID>> ids = new EnumMap<>(EntityType.class);
    for (Row r : versions) {
      at.add(r.getLong(1));
      cached[0] += r.getLong(2);
    }
    Future<RowSetOf> read = Future.succeededFuture(new RowSetOf(routing));
    if (cached[0] > 0 && cached[0] <= EVICT_KEYS_MAX) {
      read = read.compose(r -> conn.preparedQuery(CACHED_ROWS).execute(range).map(r::and));
    }
    return read.compose(changed -> {
      for (Iterable<Row> set : changed.sets) {
        for (Row r : set) {
          EntityKey key = new EntityKey(EntityType.ofTable(r.getString(0)), r.getUUID(1));
          if (keys.add(key)) {
            ids.computeIfAbsent(key.type(), e -> new ArrayList<>()).add(key.id());
          }
          // Cached consumers and JWT keys carry tenant names: a renamed or deleted tenant flushes them all.
          tenantChanged[0] |= key.type() == EntityType.TENANT && r.getBoolean(2);
        }
      }
      boolean flush = cached[0] > EVICT_KEYS_MAX || tenantChanged[0];
      Set<String> cacheKeys = new LinkedHashSet<>();
      Map<EntityKey, String> entries = new HashMap<>();
      Future<Void> loads = Future.succeededFuture(load(loaded, keys, entries));
      if (!flush && cached[0] > 0) {
        UUID[] credentials = array(ids.get(EntityType.CREDENTIAL));
        UUID[] consumers = array(ids.get(EntityType.CONSUMER));
        Future<Void> keysRead = conn.preparedQuery(CACHE_KEYS)
            .execute(Tuple.tuple().addArrayOfUUID(credentials).addArrayOfUUID(consumers).addLong(after)
                .addLong(upTo)).map(found -> {
              for (Row r : found) {
                if (r.getString(0) != null) {
                  cacheKeys.add(CacheKeys.apiKey(r.getString(0)));
                }
                if (r.getString(1) != null && r.getString(2) != null) {
                  cacheKeys.add(CacheKeys.jwtIssuer(r.getString(2), r.getString(1)));
                }
              }
              return null;
            });
        loads = Future.all(loads, keysRead).mapEmpty();
      }
      end.commit();  // the last query is sent: the commit rides in the same round trip and answers after it
      // Only what nodes act on travels on: entities they hold (the services of a renamed tenant too, added
      // by the loads), not every consumer that changed.
      return loads.map(v -> new Delta(upTo, after, false, entries,
          keys.stream().filter(k -> k.type().held() || k.type() == EntityType.TENANT).toList(),
          List.copyOf(cacheKeys), flush, List.copyOf(at), null, upTo < current));
    });
  }

  /** Several row sets read one after the other. */
  private static final class RowSetOf {
    final List<Iterable<Row>> sets = new ArrayList<>();

    RowSetOf(Iterable<Row> first) {
      sets.add(first);
    }

    RowSetOf and(Iterable<Row> next) {
      sets.add(next);
      return this;
    }
  }

  /**
   * The entries of the page's changed entities: every changed key that nodes hold starts as gone, and the rows
   * loaded with the bounds (services also those of changed tenants) overwrite the ones that still exist.
   */
  private static Void load(Map<EntityType, ? extends Future<? extends Iterable<Row>>> loaded, Set<EntityKey> keys,
                           Map<EntityKey, String> entries) {
    for (EntityKey k : keys) {
      if (k.type().held()) {
        entries.put(k, null);
      }
    }
    for (EntityType type : LOADED) {
      put(type, loaded.get(type).result(), entries, keys);
    }
    return null;
  }

  /** Every service and route as of the current version: the first fill, or a rewrite after a merge. */
  public Future<Delta> all(long previous) {
    return readOnly((conn, end) -> all(conn, previous, null));
  }

  /**
   * A full delta read on {@code conn}; {@code why} (null on a first fill or a merge) says why a follower of
   * the change log has to start over (logged by the caller), and makes the delta flush the consumer caches.
   */
  private Future<Delta> all(SqlConnection conn, long previous, String why) {
    return conn.query(ConfigStore.VERSION).execute().map(ConfigStore::single).compose(version -> {
      Map<EntityKey, String> entries = new HashMap<>();
      Set<EntityKey> keys = new LinkedHashSet<>();
      return conn.query(SERVICES).execute().map(rows -> put(EntityType.SERVICE, rows, entries, keys))
          .compose(v -> conn.query(ROUTES).execute().map(rows -> put(EntityType.ROUTE, rows, entries, keys)))
          .compose(v -> conn.query(PLUGINS).execute().map(rows -> put(EntityType.PLUGIN, rows, entries, keys)))
          .compose(v -> conn.query(CERTIFICATES).execute()
              .map(rows -> put(EntityType.CERTIFICATE, rows, entries, keys)))
          .compose(v -> conn.query(SNIS).execute().map(rows -> put(EntityType.SNI, rows, entries, keys)))
          .map(v -> new Delta(version, previous, true, entries, List.copyOf(keys), List.of(), why != null,
              List.of(), why, false));
    });
  }

  /** Change-log rows one pruning statement deletes at most (short transactions, no long lock). */
  static final int PRUNE_BATCH = 5_000;

  private static final String PRUNE_LOG = """
      delete from change_log where ctid = any(array(
        select ctid from change_log where version <= $1 and at < now() - make_interval(secs => $2)
         order by version limit $3))""";

  /**
   * Deletes change-log entries older than {@code retentionSeconds} among the versions up to {@code upTo}
   * (what the cluster has published), in batches of {@value #PRUNE_BATCH}; completes with how many went.
   * A reader left behind the oldest entry then gets a full delta (see {@link #after}).
   */
  public Future<Long> pruneLog(long upTo, long retentionSeconds) {
    return pruneLog(upTo, retentionSeconds, n -> { });
  }

  /** The same, telling {@code eachBatch} how many went as each batch is deleted (a long pass is seen as it goes). */
  public Future<Long> pruneLog(long upTo, long retentionSeconds, java.util.function.LongConsumer eachBatch) {
    return pruneLog(upTo, retentionSeconds, eachBatch, 0);
  }

  private Future<Long> pruneLog(long upTo, long retentionSeconds, java.util.function.LongConsumer eachBatch, long done) {
    return pool.preparedQuery(PRUNE_LOG).execute(Tuple.of(upTo, (double) retentionSeconds, PRUNE_BATCH))
        .compose(rows -> {
          if (rows.rowCount() > 0) {
            eachBatch.accept(rows.rowCount());
          }
          return rows.rowCount() < PRUNE_BATCH ? Future.succeededFuture(done + rows.rowCount())
              : pruneLog(upTo, retentionSeconds, eachBatch, done + rows.rowCount());
        });
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

  /**
   * The end of a read-only transaction, sent once: by the work as soon as it has sent its last query (the
   * commit then rides in the same round trip, and answers after them), else when the work is done.
   */
  private static final class End {
    private final SqlConnection conn;
    private Future<?> sent;

    End(SqlConnection conn) {
      this.conn = conn;
    }

    Future<?> commit() {
      if (sent == null) {
        sent = conn.query("commit").execute();
      }
      return sent;
    }

    /** A failed read ends with a rollback (nothing to undo: after a commit, nothing more is sent). */
    Future<?> rollback() {
      if (sent == null) {
        sent = conn.query("rollback").execute();
      }
      return sent;
    }
  }

  private static UUID[] array(List<UUID> ids) {
    return ids == null ? new UUID[0] : ids.toArray(UUID[]::new);
  }

  /**
   * Runs {@code work} in one REPEATABLE READ read-only transaction, begun and ended with one simple query
   * each (a round trip fewer than begin() then SET TRANSACTION: this is on the path of every change). The
   * begin is sent with the work's first queries (pipelined: the connection runs them in order), not waited for.
   */
  private <T> Future<T> readOnly(java.util.function.BiFunction<SqlConnection, End, Future<T>> work) {
    Promise<T> answer = Promise.promise();
    pool.withConnection(conn -> {
      End end = new End(conn);
      Future<?> begun = conn.query("begin isolation level repeatable read read only").execute();
      Future<T> worked = work.apply(conn, end);
      Future<T> read = Future.all(begun, worked).map(x -> worked.result());
      // What a read-only transaction read is whole once answered: the answer goes out now, and the commit's own
      // answer (which changes nothing) only gives the connection back to the pool. A failure waits for the rollback.
      read.onSuccess(answer::tryComplete);
      return read.transform(ar -> (ar.succeeded() ? end.commit() : end.rollback())
          .transform(ignored -> ar.succeeded() ? Future.succeededFuture(ar.result())
              : Future.<T>failedFuture(ar.cause())));
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        answer.tryComplete(ar.result());
      } else {
        answer.tryFail(ar.cause());
      }
    });
    return answer.future();
  }
}

package io.sluice.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.config.EntityType;
import io.sluice.util.Backoff;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The entities of the admin API as PostgreSQL holds them: tenants, services, routes, consumers and plugins
 * (each as its projection with id, version and updated_at), and consumers' credentials. Reads are single
 * queries; writes run in {@link #write}, one READ COMMITTED transaction that ends by reading the version it
 * commits as. Every method returns a Future; none blocks.
 */
public final class EntityStore {

  /** Attempts of a transaction PostgreSQL aborted as a serialization failure or deadlock. */
  private static final int ATTEMPTS = 3;
  /** Full-jitter delay between those attempts, so that colliding writers do not collide again at once. */
  private static final Backoff RETRY_BACKOFF = new Backoff(10, 200);
  private static final String META = "jsonb_build_object('id', x.id, 'version', x.version, 'updated_at', x.updated_at)";
  /** The rows of one tenant, named by name or id ({@link TenantSql#ONE}: none when that names two). */
  private static final String BY_TENANT = "t.id = " + TenantSql.ONE;
  /**
   * {@link #BY_TENANT} for a table with its own tenant_id, so that a page of one tenant reads its rows by
   * index (consumers_tenant_page) and sorts nothing.
   */
  private static final String BY_TENANT_ID = "x.tenant_id = " + TenantSql.ONE;

  /** A write's answer and the configuration version it committed. */
  public record Written<T>(T value, long version) {}

  /**
   * How the admin API reads, finds and writes one kind of entity: {@code json} is its projection (alias
   * {@code x}), {@code from} the tables it reads.
   */
  private record Shape(String table, String json, String from, String tenantFilter, String find, String insert,
                       String update) {

    /** The entity as one text column. */
    String select() {
      return "select (" + json + ")::text" + from;
    }
  }

  private static final Map<EntityType, Shape> SHAPES = new EnumMap<>(EntityType.class);

  static {
    SHAPES.put(EntityType.TENANT, new Shape("tenants", META + " || " + TenantSql.DEF, TenantSql.FROM, null,
        TenantSql.FIND, TenantSql.INSERT + " returning id", TenantSql.UPDATE));
    SHAPES.put(EntityType.SERVICE, new Shape("services", META + " || " + ServiceSql.DEF, ServiceSql.FROM, BY_TENANT_ID,
        ServiceSql.FIND, ServiceSql.INSERT, ServiceSql.UPDATE));
    SHAPES.put(EntityType.ROUTE, new Shape("routes", META + " || " + RouteSql.DEF + " || " + RouteSql.SERVICE_NAME,
        RouteSql.FROM, BY_TENANT, RouteSql.FIND, RouteSql.INSERT, RouteSql.UPDATE));
    SHAPES.put(EntityType.CONSUMER, new Shape("consumers", META + " || " + ConsumerSql.DEF, ConsumerSql.FROM,
        BY_TENANT_ID, ConsumerSql.FIND, ConsumerSql.INSERT, ConsumerSql.UPDATE));
    SHAPES.put(EntityType.PLUGIN, new Shape("plugins", META + " || " + PluginSql.DEF + " || "
        + PluginSql.TARGET_NAMES, PluginSql.FROM, BY_TENANT, null, PluginSql.INSERT, PluginSql.UPDATE));
    SHAPES.put(EntityType.CERTIFICATE, new Shape("certificates", META + " || " + CertificateSql.DEF,
        CertificateSql.FROM, BY_TENANT_ID, CertificateSql.FIND, CertificateSql.INSERT, CertificateSql.UPDATE));
    SHAPES.put(EntityType.SNI, new Shape("snis", META + " || " + CertificateSql.SNI_DEF, CertificateSql.SNI_FROM,
        BY_TENANT, null, CertificateSql.SNI_INSERT, CertificateSql.SNI_UPDATE));
  }

  /** What {@link #tenantOf} answers for an entity of no tenant (a global plugin). */
  public static final UUID NO_TENANT = new UUID(0, 0);

  /** The tenant of one entity by id, per type (a plugin's is its target's; a global one has none). */
  private static final Map<EntityType, String> TENANT_OF = new EnumMap<>(Map.of(
      EntityType.TENANT, "select id from tenants where id = $1",
      EntityType.SERVICE, "select tenant_id from services where id = $1",
      EntityType.ROUTE, "select s.tenant_id from routes x join services s on s.id = x.service_id where x.id = $1",
      EntityType.CONSUMER, "select tenant_id from consumers where id = $1",
      EntityType.PLUGIN, "select coalesce(t.id, '" + NO_TENANT + "'::uuid)" + PluginSql.FROM + " where x.id = $1",
      EntityType.CERTIFICATE, "select coalesce(tenant_id, '" + NO_TENANT + "'::uuid) from certificates where id = $1",
      EntityType.SNI, "select coalesce(c.tenant_id, '" + NO_TENANT + "'::uuid) from snis x"
          + " join certificates c on c.id = x.certificate_id where x.id = $1"));

  private final Vertx vertx;
  private final Pool pool;
  private final AdminTokenStore adminTokens;

  public EntityStore(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
    this.adminTokens = new AdminTokenStore(pool);
  }

  /** The admin tokens (in the same database). */
  public AdminTokenStore adminTokens() {
    return adminTokens;
  }

  /** The id of the tenant {@code id} of {@code type} belongs to, {@link #NO_TENANT}, or null when it does not exist. */
  public Future<UUID> tenantOf(EntityType type, UUID id) {
    return tenantOf(pool, type, id);
  }

  private static Future<UUID> tenantOf(SqlClient client, EntityType type, UUID id) {
    return client.preparedQuery(TENANT_OF.get(type)).execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID(0));
  }

  /** The id of the {@code type} named {@code nameOrId} (consumers and certificates by id only), or null. */
  public Future<UUID> find(EntityType type, String nameOrId) {
    return find(pool, type, nameOrId);
  }

  private static Future<UUID> find(SqlClient client, EntityType type, String nameOrId) {
    String find = switch (type) {
      case TENANT -> TenantSql.FIND;
      case SERVICE -> ServiceSql.FIND;
      case ROUTE -> RouteSql.FIND;
      case CONSUMER -> ConsumerSql.FIND;
      case CERTIFICATE -> CertificateSql.FIND;
      default -> throw new IllegalArgumentException("no lookup of " + type);
    };
    return client.preparedQuery(find).execute(Tuple.of(nameOrId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID(0));
  }

  private static Shape shape(EntityType type) {
    Shape s = SHAPES.get(type);
    if (s == null) {
      throw new IllegalArgumentException("no admin resource for " + type);
    }
    return s;
  }

  /**
   * One page of {@code type} in creation order (see {@link Slice}): up to {@code limit} entities after
   * {@code after} (null: from the first), of one tenant (name or id) unless {@code tenant} is null.
   */
  public Future<Slice> list(EntityType type, String tenant, Slice.Key after, int limit) {
    Shape s = shape(type);
    Tuple params = Tuple.tuple();
    List<String> where = new ArrayList<>();
    if (tenant != null && s.tenantFilter() != null) {
      params.addString(tenant);
      where.add(s.tenantFilter());
    }
    if (after != null) {
      where.add(Slice.after(params.size() + 1));
      params.addOffsetDateTime(after.createdAt()).addUUID(after.id());
    }
    params.addInteger(limit + 1);
    String sql = "select (" + s.json() + ")::text, x.created_at, x.id" + s.from()
        + (where.isEmpty() ? "" : " where " + String.join(" and ", where)) + Slice.ORDER + " limit $" + params.size();
    return pool.preparedQuery(sql).execute(params).map(rows -> Slice.of(rows, limit, EntityStore::object,
        EntityStore::key));
  }

  /**
   * The name of a tenant that differs from {@code name} only by case, or null: what a caller who named no tenant
   * may have meant (names are unique whatever their case, V21, but matched as written).
   */
  public Future<String> tenantNameAnyCase(String name) {
    return pool.preparedQuery("select name from tenants where lower(name) = lower($1) order by created_at limit 1")
        .execute(Tuple.of(name)).map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** Whether {@code type} can be listed by tenant. */
  public static boolean byTenant(EntityType type) {
    return shape(type).tenantFilter() != null;
  }

  /** The entity, or null when there is none. */
  public Future<JsonObject> read(EntityType type, UUID id) {
    return read(pool, type, id);
  }

  /** A consumer's credentials of one kind ({@code api-key}, {@code jwt}), one page in creation order. */
  public Future<Slice> credentials(String kind, UUID consumer, Slice.Key after, int limit) {
    Tuple params = Tuple.of(consumer, kind);
    String sql = CredentialSql.list(kind);
    if (after != null) {
      sql += " and " + Slice.after(3);
      params.addOffsetDateTime(after.createdAt()).addUUID(after.id());
    }
    params.addInteger(limit + 1);
    return pool.preparedQuery(sql + Slice.ORDER + " limit $" + params.size()).execute(params)
        .map(rows -> Slice.of(rows, limit, EntityStore::object, EntityStore::key));
  }

  /** One credential of a consumer, or null. */
  public Future<JsonObject> credential(String kind, UUID consumer, UUID id) {
    return credential(pool, kind, consumer, id);
  }

  public Future<Boolean> consumerExists(UUID consumer) {
    return exists(pool, consumer);
  }

  /**
   * Runs {@code work} in one transaction and answers its value with the version committed. A transaction
   * PostgreSQL aborts as a serialization failure or deadlock is retried whole, after a jittered backoff.
   */
  public <T> Future<Written<T>> write(Function<Tx, Future<T>> work) {
    return write(null, work);
  }

  /**
   * {@link #write} recording who writes: {@code actor} (JSON, see change_log.actor) is set for the
   * transaction ({@code sluice.actor}), so that every change-log row it makes names it.
   */
  public <T> Future<Written<T>> write(String actor, Function<Tx, Future<T>> work) {
    return attempt(actor, work, 1);
  }

  /** Sets who writes for the rest of the transaction on {@code conn} (nothing when {@code actor} is null). */
  static Future<Void> actor(SqlConnection conn, String actor) {
    return actor == null ? Future.succeededFuture()
        : conn.preparedQuery("select set_config('sluice.actor', $1, true)").execute(Tuple.of(actor)).mapEmpty();
  }

  private <T> Future<Written<T>> attempt(String actor, Function<Tx, Future<T>> work, int n) {
    Future<Written<T>> tx = pool.withTransaction(conn -> actor(conn, actor).compose(v -> work.apply(new Tx(conn)))
        .compose(value -> conn.query(ConfigStore.VERSION).execute()
            .map(rows -> new Written<>(value, ConfigStore.single(rows)))));
    return tx.recover(err -> {
      boolean retryable = SqlStates.is(err, SqlStates.SERIALIZATION_FAILURE)
          || SqlStates.is(err, SqlStates.DEADLOCK_DETECTED);
      if (!retryable || n >= ATTEMPTS) {
        return Future.failedFuture(err);
      }
      return vertx.timer(Math.max(1, RETRY_BACKOFF.delayMs(n))).compose(v -> attempt(actor, work, n + 1));
    });
  }

  /** The statements of one write transaction. */
  public static final class Tx {

    private final SqlConnection conn;

    private Tx(SqlConnection conn) {
      this.conn = conn;
    }

    /** See {@link EntityStore#tenantOf}, as the transaction sees it. */
    public Future<UUID> tenantOf(EntityType type, UUID id) {
      return EntityStore.tenantOf(conn, type, id);
    }

    /**
     * Fails with {@link TakeoverException} when {@code route}, written with a token of {@code tenant}, names no
     * hosts, names a host another tenant holds, or would take requests that a route of another tenant serves.
     */
    public Future<Void> refuseTakeovers(String tenant, io.sluice.config.RouteDef route) {
      return RouteTakeovers.refuse(conn, tenant, RouteTakeovers.one(route));
    }

    /**
     * Fails with {@link TakeoverException} when an SNI {@code name}, written with a token of {@code tenant}, is a
     * name another tenant holds, lies under one or over one (or is {@code *}).
     */
    public Future<Void> refuseSniTakeover(String tenant, String name) {
      return RouteTakeovers.refuseSni(conn, tenant, name);
    }

    /**
     * Fails with {@link TakeoverException} when {@code route} of {@code tenant} (written with any token) has a host
     * outside the names assigned to the tenant, or on, under or over a name assigned to another ({@link
     * HostAssignments}).
     */
    public Future<Void> refuseOutsideAssigned(UUID tenant, io.sluice.config.RouteDef route) {
      return HostAssignments.refuseRoutes(conn, tenant, RouteTakeovers.one(route));
    }

    /** {@link #refuseOutsideAssigned} for an SNI {@code name} of a certificate of {@code tenant} (null: none). */
    public Future<Void> refuseSniOutsideAssigned(UUID tenant, String name) {
      return HostAssignments.refuseSni(conn, tenant, name, "name");
    }

    /**
     * Fails with {@link TakeoverException} ({@code host_conflict}, {@code hosts[i]}) when a name of {@code hosts},
     * assigned to {@code tenant}, meets a name another tenant is assigned or holds.
     */
    public Future<Void> refuseAssignment(UUID tenant, List<String> hosts) {
      return HostAssignments.refuseAssignment(conn, tenant, hosts, "");
    }

    /**
     * Fails with {@link TakeoverException} (naming {@code tenant}) when the service or certificate {@code id},
     * moved to another tenant, takes routes or SNIs there that the names assigned to tenants refuse
     * ({@link HostMoves}).
     */
    public Future<Void> refuseMoveOutsideAssigned(EntityType type, UUID id) {
      return type == EntityType.SERVICE ? HostMoves.refuseService(conn, id, "tenant")
          : HostMoves.refuseCertificate(conn, id, "tenant");
    }

    /** Locks the entity until commit and answers its version; null when it does not exist. */
    public Future<Long> lock(EntityType type, UUID id) {
      return conn.preparedQuery("select version from " + shape(type).table() + " where id = $1 for update")
          .execute(Tuple.of(id)).map(rows -> rows.size() == 0 ? null : rows.iterator().next().getLong(0));
    }

    /** The id of the {@code type} named {@code nameOrId} (consumers and certificates by id only), or null. */
    public Future<UUID> find(EntityType type, String nameOrId) {
      return EntityStore.find(conn, type, nameOrId);
    }

    /** Inserts the document with its references' ids (in the order of the entity's write); answers the id. */
    public Future<UUID> insert(EntityType type, JsonNode doc, List<UUID> refs) {
      String json = type == EntityType.TENANT ? "[" + doc + "]" : doc.toString();
      return conn.preparedQuery(shape(type).insert()).execute(params(json, refs))
          .map(rows -> rows.iterator().next().getUUID(0));
    }

    public Future<Void> update(EntityType type, UUID id, JsonNode doc, List<UUID> refs) {
      return conn.preparedQuery(shape(type).update()).execute(params(doc.toString(), refs).addValue(id)).mapEmpty();
    }

    public Future<Void> delete(EntityType type, UUID id) {
      return conn.preparedQuery("delete from " + shape(type).table() + " where id = $1").execute(Tuple.of(id))
          .mapEmpty();
    }

    /** The entity as the transaction sees it, or null. */
    public Future<JsonObject> read(EntityType type, UUID id) {
      return EntityStore.read(conn, type, id);
    }

    public Future<Boolean> consumerExists(UUID consumer) {
      return exists(conn, consumer);
    }

    /** Stores an API key of {@code consumer} (its readable prefix and digest, never the key); answers the id. */
    public Future<UUID> insertApiKey(UUID consumer, String prefix, byte[] digest) {
      return conn.preparedQuery(CredentialSql.INSERT_API_KEY).execute(Tuple.of(consumer, prefix,
          Buffer.buffer(digest))).map(rows -> rows.iterator().next().getUUID(0));
    }

    /** Stores a JWT credential: a public key, or an HS* secret already sealed (exactly one of the two). */
    public Future<UUID> insertJwt(UUID id, UUID consumer, String issuer, String algorithm, String publicKey,
                                  byte[] sealedSecret) {
      return conn.preparedQuery(CredentialSql.INSERT_JWT).execute(Tuple.of(id, consumer, issuer, algorithm,
          publicKey, sealedSecret == null ? null : Buffer.buffer(sealedSecret)))
          .map(rows -> rows.iterator().next().getUUID(0));
    }

    public Future<JsonObject> credential(String kind, UUID consumer, UUID id) {
      return EntityStore.credential(conn, kind, consumer, id);
    }

    /** Deletes one credential of a consumer; false when it has none such. */
    public Future<Boolean> deleteCredential(String kind, UUID consumer, UUID id) {
      return conn.preparedQuery(CredentialSql.DELETE).execute(Tuple.of(id, consumer, kind))
          .map(rows -> rows.size() > 0);
    }
  }

  private static Future<JsonObject> read(SqlClient client, EntityType type, UUID id) {
    return client.preparedQuery(shape(type).select() + " where x.id = $1").execute(Tuple.of(id))
        .map(rows -> rows.size() == 0 ? null : new JsonObject(rows.iterator().next().getString(0)));
  }

  private static Future<JsonObject> credential(SqlClient client, String kind, UUID consumer, UUID id) {
    return client.preparedQuery(CredentialSql.select(kind) + " and x.id = $3").execute(Tuple.of(consumer, kind, id))
        .map(rows -> rows.size() == 0 ? null : new JsonObject(rows.iterator().next().getString(0)));
  }

  private static Future<Boolean> exists(SqlClient client, UUID consumer) {
    return client.preparedQuery("select 1 from consumers where id = $1").execute(Tuple.of(consumer))
        .map(rows -> rows.size() > 0);
  }

  private static Tuple params(String doc, List<UUID> refs) {
    Tuple t = Tuple.tuple().addValue(doc);
    for (UUID id : refs) {
      t.addValue(id);
    }
    return t;
  }

  private static JsonObject object(Row r) {
    return new JsonObject(r.getString(0));
  }

  /** The key of a row listed as (text, created_at, id). */
  private static Slice.Key key(Row r) {
    return new Slice.Key(r.getOffsetDateTime(1), r.getUUID(2));
  }
}

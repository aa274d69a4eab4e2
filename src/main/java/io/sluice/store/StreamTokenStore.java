package io.sluice.store;

import io.sluice.credential.StreamTokens;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * Tenants' stream tokens as PostgreSQL holds them: a readable prefix and the digest (never the token).
 * Not configuration (no change log): a node looks a token up when a client connects.
 */
public final class StreamTokenStore {

  private static final String COLUMNS = "id, tenant_id, token_prefix, created_at";

  private final Pool pool;

  public StreamTokenStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Boolean> tenantExists(UUID tenant) {
    return pool.preparedQuery("select 1 from tenants where id = $1").execute(Tuple.of(tenant))
        .map(rows -> rows.size() > 0);
  }

  /**
   * One page of a tenant's tokens, oldest first (see {@link Slice}): up to {@code limit} after {@code after};
   * each id, tenant, prefix, created_at.
   */
  public Future<Slice> list(UUID tenant, Slice.Key after, int limit) {
    Tuple params = Tuple.of(tenant);
    String sql = "select " + COLUMNS + " from stream_tokens x where tenant_id = $1";
    if (after != null) {
      sql += " and " + Slice.after(2);
      params.addOffsetDateTime(after.createdAt()).addUUID(after.id());
    }
    params.addInteger(limit + 1);
    return pool.preparedQuery(sql + Slice.ORDER + " limit $" + params.size()).execute(params)
        .map(rows -> Slice.of(rows, limit, StreamTokenStore::json,
            r -> new Slice.Key(r.getOffsetDateTime("created_at"), r.getUUID("id"))));
  }

  /** Stores a token by its prefix and digest; answers it as {@link #list} shows it. */
  public Future<JsonObject> create(UUID tenant, String prefix, byte[] digest) {
    return pool.preparedQuery("insert into stream_tokens (tenant_id, token_prefix, token_digest) values ($1, $2, $3)"
            + " returning " + COLUMNS)
        .execute(Tuple.of(tenant, prefix, Buffer.buffer(digest))).map(rows -> json(rows.iterator().next()));
  }

  /** Deletes a tenant's token; answers its digest (hex), or null when the tenant has none such. */
  public Future<String> delete(UUID tenant, UUID id) {
    return pool.preparedQuery("delete from stream_tokens where id = $1 and tenant_id = $2"
            + " returning encode(token_digest, 'hex')")
        .execute(Tuple.of(id, tenant)).map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** The tenant (id and name) whose token has this digest, or null. */
  public Future<StreamTokens.Tenant> tenantOf(byte[] digest) {
    return pool.preparedQuery("select t.id::text, t.name from stream_tokens s join tenants t on t.id = s.tenant_id"
            + " where s.token_digest = $1")
        .execute(Tuple.of(Buffer.buffer(digest)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          return new StreamTokens.Tenant(r.getString(0), r.getString(1));
        });
  }

  private static JsonObject json(Row row) {
    return new JsonObject().put("id", row.getUUID("id").toString())
        .put("tenant", row.getUUID("tenant_id").toString())
        .put("prefix", row.getString("token_prefix"))
        .put("created_at", row.getOffsetDateTime("created_at").toString());
  }
}

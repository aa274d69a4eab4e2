package io.sluice.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * Admin tokens as PostgreSQL holds them (admin_tokens, V6): role, tenant, a readable prefix and the digest,
 * never the token. Not configuration: every node reads the token of each admin request here, so a deleted
 * (revoked) token is refused by the next request on any node.
 */
public final class AdminTokenStore {

  /** last_used_at is written at most this often per token: a busy script does not write on every request. */
  private static final long TOUCH_EVERY_S = 60;
  private static final String COLUMNS = "x.id, x.role, x.tenant_id, t.name, x.token_prefix, x.created_at,"
      + " x.last_used_at";
  private static final String FROM = " from admin_tokens x left join tenants t on t.id = x.tenant_id";

  /** Who a token is: its id, role and (role tenant) its tenant's id and name. */
  public record Holder(UUID id, String role, UUID tenantId, String tenantName) {}

  private final Pool pool;

  public AdminTokenStore(Pool pool) {
    this.pool = pool;
  }

  /** One page of the tokens, oldest first (see {@link Slice}): up to {@code limit} after {@code after}. */
  public Future<Slice> list(Slice.Key after, int limit) {
    Tuple params = Tuple.tuple();
    String where = "";
    if (after != null) {
      where = " where " + Slice.after(1);
      params.addOffsetDateTime(after.createdAt()).addUUID(after.id());
    }
    params.addInteger(limit + 1);
    return pool.preparedQuery("select " + COLUMNS + FROM + where + Slice.ORDER + " limit $" + params.size())
        .execute(params).map(rows -> Slice.of(rows, limit, AdminTokenStore::json,
            r -> new Slice.Key(r.getOffsetDateTime(5), r.getUUID(0))));
  }

  /** Stores a token by its prefix and digest; answers it as {@link #list} shows it. */
  public Future<JsonObject> create(String role, UUID tenant, String prefix, byte[] digest) {
    return pool.preparedQuery("with x as (insert into admin_tokens (role, tenant_id, token_prefix, token_digest)"
            + " values ($1, $2, $3, $4) returning *) select " + COLUMNS + FROM.replace("admin_tokens x", "x"))
        .execute(Tuple.of(role, tenant, prefix, Buffer.buffer(digest))).map(rows -> json(rows.iterator().next()));
  }

  /** The id of the tenant named (by name or id), or null. */
  public Future<UUID> tenantId(String nameOrId) {
    return pool.preparedQuery(TenantSql.FIND).execute(Tuple.of(nameOrId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID(0));
  }

  /** Deletes a token; false when there is none such. */
  public Future<Boolean> delete(UUID id) {
    return pool.preparedQuery("delete from admin_tokens where id = $1 returning id").execute(Tuple.of(id))
        .map(rows -> rows.size() > 0);
  }

  /** The holder of the token with this digest, or null; notes its use (at most once a minute). */
  public Future<Holder> holder(byte[] digest) {
    return pool.preparedQuery("select x.id, x.role, x.tenant_id, t.name, coalesce(x.last_used_at < now() - make_interval("
            + "secs => $2), true)" + FROM + " where x.token_digest = $1")
        .execute(Tuple.of(Buffer.buffer(digest), TOUCH_EVERY_S)).map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          Holder h = new Holder(r.getUUID(0), r.getString(1), r.getUUID(2), r.getString(3));
          if (r.getBoolean(4)) {
            // Best effort: a failed note of use never refuses the request.
            pool.preparedQuery("update admin_tokens set last_used_at = now() where id = $1").execute(Tuple.of(h.id()));
          }
          return h;
        });
  }

  private static JsonObject json(Row r) {
    OffsetDateTime used = r.getOffsetDateTime(6);
    return new JsonObject().put("id", r.getUUID(0).toString()).put("role", r.getString(1))
        .put("tenant", r.getString(3)).put("prefix", r.getString(4))
        .put("created_at", r.getOffsetDateTime(5).toString())
        .put("last_used_at", used == null ? null : used.toString());
  }
}

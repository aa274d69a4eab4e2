package io.sluice.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Reads and prunes the configuration history (table config_history, written by triggers: see V10). Versions
 * are read newest first and paged by a cursor, the last version of the previous page: versions are dense and
 * commit in order (the version counter's row lock), so a write committed while a reader pages only adds
 * versions above its first page, and a page after the first neither skips nor repeats one.
 */
public final class HistoryStore {

  /** History rows one pruning statement deletes at most (short transactions, no long lock). */
  static final int PRUNE_BATCH = 1_000;

  /** Tables in the order a version's changes are listed (the order their foreign keys go). */
  private static final String ORDER = "array_position(array['tenants', 'services', 'routes', 'consumers',"
      + " 'credentials', 'plugins', 'certificates', 'snis'], entity), name, id";

  private static final String FILTERS = """
       where ($1::int8 is null or version < $1)
         and ($2::int8 is null or version >= $2) and ($3::int8 is null or version <= $3)
         and ($4::timestamptz is null or at >= $4) and ($5::timestamptz is null or at <= $5)
         and ($6::text is null or entity = $6)
         and ($7::uuid is null or tenant_id = $7)
         and ($8::text is null or tenant_id = %s
              or not exists (select 1 from tenants where name = $8 or id::text = lower($8))
                 and (tenant = $8 or tenant_id::text = lower($8)))
      """.formatted(TenantSql.ONE.replace("$1", "$8"));

  private static final String LIST = "select version, min(at), (array_agg(actor))[1], min(source),"
      + " jsonb_agg(jsonb_build_object('entity', left(entity, -1), 'id', id, 'name', name, 'op', op,"
      + " 'tenant', tenant) order by " + ORDER + ") from config_history" + FILTERS
      + " group by version order by version desc limit $9";

  private static final String RECORDED = "select exists (select 1 from config_history where (tenant = $1"
      + " or tenant_id::text = lower($1)) and ($2::uuid is null or tenant_id = $2))";

  private static final String ONE = "select left(entity, -1), id, name, tenant, op, before, after, actor, source, at"
      + " from config_history where version = $1 and ($2::uuid is null or tenant_id = $2) order by " + ORDER;

  private static final String PRUNE = """
      delete from config_history where ctid = any(array(
        select ctid from config_history where at < now() - make_interval(secs => $1)
         order by version limit $2))""";

  /**
   * What to list. {@code before}: the cursor (versions below it only; null for the newest); versions and times
   * bound inclusively (null: unbounded); {@code table}: one entity table; {@code ownTenant}: a tenant token's
   * tenant (its entities only); {@code tenant}: a tenant's name or id asked for. A name a tenant has now is that
   * tenant, by id (all of its history, whatever it was named then; not that of an earlier holder of the name); a
   * name no tenant has now (deleted) is the entries recorded under it. An id is an id in either case (RFC 9562),
   * as in every other reference to a tenant ({@link TenantSql#FIND}).
   */
  public record Query(Long before, Long sinceVersion, Long untilVersion, OffsetDateTime sinceAt,
                      OffsetDateTime untilAt, String table, UUID ownTenant, String tenant, int limit) {}

  private final Pool pool;

  public HistoryStore(Pool pool) {
    this.pool = pool;
  }

  /**
   * Up to {@code limit + 1} versions (the one more tells there is a next page), newest first, each
   * {@code {version, at, actor, source, changes: [{entity, id,
   * name, op, tenant}]}} (only the changes the filters keep; a version with none is left out).
   */
  public Future<List<JsonObject>> list(Query q) {
    Tuple args = Tuple.tuple().addLong(q.before()).addLong(q.sinceVersion()).addLong(q.untilVersion())
        .addOffsetDateTime(q.sinceAt()).addOffsetDateTime(q.untilAt()).addString(q.table())
        .addUUID(q.ownTenant()).addString(q.tenant()).addInteger(q.limit() + 1);
    return pool.preparedQuery(LIST).execute(args).map(rows -> {
      List<JsonObject> versions = new ArrayList<>();
      for (Row r : rows) {
        versions.add(new JsonObject().put("version", r.getLong(0)).put("at", r.getOffsetDateTime(1).toString())
            .put("actor", r.getValue(2)).put("source", r.getString(3)).put("changes", r.getValue(4)));
      }
      return versions;
    });
  }

  /**
   * Whether entries were recorded under the tenant name or id {@code tenant} (a deleted tenant's, or a renamed
   * one's former name), of {@code ownTenant} only when not null: what a {@code ?tenant=} naming no tenant now
   * still finds.
   */
  public Future<Boolean> recorded(String tenant, UUID ownTenant) {
    return pool.preparedQuery(RECORDED).execute(Tuple.of(tenant, ownTenant)).map(rows -> rows.iterator().next()
        .getBoolean(0));
  }

  /**
   * One version with every change's before and after images (secrets redacted by the trigger), or null when
   * nothing of it is kept (never written, pruned, or, for {@code ownTenant}, none of that tenant's).
   */
  public Future<JsonObject> version(long version, UUID ownTenant) {
    return pool.preparedQuery(ONE).execute(Tuple.of(version, ownTenant)).map(rows -> {
      JsonArray changes = new JsonArray();
      JsonObject answer = null;
      for (Row r : rows) {
        if (answer == null) {
          answer = new JsonObject().put("version", version).put("at", r.getOffsetDateTime(9).toString())
              .put("actor", r.getValue(7)).put("source", r.getString(8)).put("changes", changes);
        }
        changes.add(new JsonObject().put("entity", r.getString(0)).put("id", r.getUUID(1).toString())
            .put("name", r.getString(2)).put("tenant", r.getString(3)).put("op", r.getString(4))
            .put("before", r.getValue(5)).put("after", r.getValue(6)));
      }
      return answer;
    });
  }

  /**
   * Deletes history older than {@code retentionSeconds} in batches of {@value #PRUNE_BATCH}, oldest versions
   * first; completes with how many rows went.
   */
  public Future<Long> prune(long retentionSeconds) {
    return prune(retentionSeconds, 0);
  }

  private Future<Long> prune(long retentionSeconds, long done) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of((double) retentionSeconds, PRUNE_BATCH))
        .compose(rows -> rows.rowCount() < PRUNE_BATCH ? Future.succeededFuture(done + rows.rowCount())
            : prune(retentionSeconds, done + rows.rowCount()));
  }
}

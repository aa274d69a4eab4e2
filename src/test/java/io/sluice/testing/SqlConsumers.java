package io.sluice.testing;

import io.sluice.credential.Consumer;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.credential.JwtCredential;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only consumer source: plain SQL on the node's pool, counting every lookup that reached PostgreSQL
 * (the production source, PgConsumerDirectory, comes with the policies work).
 */
public final class SqlConsumers implements ConsumerDirectory {

  /** Lookups that reached PostgreSQL, over every instance. */
  public static final AtomicInteger LOOKUPS = new AtomicInteger();

  private final Pool pool;

  public SqlConsumers(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
    LOOKUPS.incrementAndGet();
    return pool.preparedQuery("select c.id::text, c.tenant_id::text, c.username, c.custom_id, t.name from credentials k"
            + " join consumers c on c.id = k.consumer_id join tenants t on t.id = c.tenant_id where k.kind = 'api-key' and k.key_digest = $1")
        .execute(Tuple.of(Buffer.buffer(digest))).map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row r = rows.iterator().next();
          return Optional.of(new Consumer(r.getString(0), r.getString(1), r.getString(2), r.getString(3), List.of(),
              r.getString(4)));
        });
  }

  @Override
  public Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer) {
    LOOKUPS.incrementAndGet();
    return Future.succeededFuture(Optional.empty());
  }
}

package io.sluice.admin;

import io.sluice.credential.ApiKeys;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * A consumer's API keys (/consumers/{id}/keys): Sluice generates each key, answers it once in the 201 of
 * its creation and stores only its HMAC-SHA-256 digest and readable prefix. Keys are never logged.
 */
final class KeyRoutes extends CredentialRoutes {

  private static final String INSERT = "insert into credentials (consumer_id, kind, key_prefix, key_digest)"
      + " values ($1, 'api-key', $2, $3) returning id";

  private final String hmacSecret;

  KeyRoutes(Pool pool, String hmacSecret) {
    super(pool, "api-key", "keys", "keyId", "key", "'kind', x.kind, 'prefix', x.key_prefix");
    this.hmacSecret = hmacSecret;
  }

  @Override
  protected Future<?> create(RoutingContext rc, UUID consumer) {
    String key = ApiKeys.generate();
    byte[] digest = ApiKeys.digest(key, hmacSecret);
    return Store.write(pool, conn -> consumerExists(conn, consumer)
            .compose(v -> conn.preparedQuery(INSERT).execute(Tuple.of(consumer, ApiKeys.shown(key),
                io.vertx.core.buffer.Buffer.buffer(digest))))
            .compose(rows -> fetch(conn, consumer, rows.iterator().next().getUUID(0))))
        .onSuccess(w -> {
          // The key itself, this once; never stored, never logged, never cached by anyone on the way.
          rc.response().putHeader("Cache-Control", "no-store");
          created(rc, consumer, w, w.value().copy().put("key", key));
        });
  }
}

package io.sluice.admin;

import io.sluice.credential.ApiKeys;
import io.sluice.store.EntityStore;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/**
 * A consumer's API keys (/consumers/{id}/keys): Sluice generates each key, answers it once in the 201 of
 * its creation and stores only its HMAC-SHA-256 digest and readable prefix. Keys are never logged.
 */
final class KeyRoutes extends CredentialRoutes {

  private final String hmacSecret;

  KeyRoutes(EntityStore store, String hmacSecret) {
    super(store, "api-key", "keys", "keyId", "key");
    this.hmacSecret = hmacSecret;
  }

  @Override
  protected Future<?> create(RoutingContext rc, UUID consumer) {
    String key = ApiKeys.generate();
    byte[] digest = ApiKeys.digest(key, hmacSecret);
    return store.write(Principal.of(rc).actor(), tx -> consumerExists(tx, consumer)
            .compose(v -> tx.insertApiKey(consumer, ApiKeys.shown(key), digest))
            .compose(id -> fetch(tx, consumer, id)))
        .onSuccess(w -> {
          // The key itself, this once; never stored, never logged, never cached by anyone on the way.
          rc.response().putHeader("Cache-Control", "no-store");
          created(rc, consumer, w, w.value().copy().put("key", key));
        });
  }
}

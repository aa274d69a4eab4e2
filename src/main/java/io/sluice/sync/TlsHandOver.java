package io.sluice.sync;

import io.sluice.config.EntityKey;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the applier's certificates and SNIs go when one of them changed (the proxy's TLS listener): handed every
 * TLS entity held, on a worker, before the version counts as applied.
 */
final class TlsHandOver {

  /** The applier's logger: the category operators already filter on. */
  private static final Logger LOG = LoggerFactory.getLogger(ConfigApplier.class);

  private final Vertx vertx;
  private volatile Consumer<Map<EntityKey, JsonObject>> listener;

  TlsHandOver(Vertx vertx) {
    this.vertx = vertx;
  }

  void listener(Consumer<Map<EntityKey, JsonObject>> listener) {
    this.listener = listener;
  }

  /** Hands the TLS entities among {@code entities} (read now, on the caller's context) to the listener. */
  Future<Void> apply(Map<EntityKey, JsonObject> entities) {
    Consumer<Map<EntityKey, JsonObject>> to = listener;
    if (to == null) {
      return Future.succeededFuture();
    }
    Map<EntityKey, JsonObject> held = new HashMap<>();
    entities.forEach((k, v) -> {
      if (k.type().tls()) {
        held.put(k, v);
      }
    });
    return vertx.executeBlocking(() -> {
      try {
        to.accept(held);
      } catch (RuntimeException e) {
        LOG.error("certificates do not apply; the previous ones keep serving: {}", e.toString());
      }
      return null;
    }, false);
  }
}

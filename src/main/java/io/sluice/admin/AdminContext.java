package io.sluice.admin;

import io.sluice.node.NodeSettings;
import io.sluice.store.ConfigStore;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.function.LongSupplier;

/**
 * What the admin API's handlers share: the node's settings and, in PostgreSQL mode, the pool and store
 * (both null when the node serves its routes file alone, and every write then answers 503).
 */
public record AdminContext(Vertx vertx, NodeSettings settings, Pool pool, ConfigStore store,
                           LongSupplier appliedVersion) {

  public boolean storeEnabled() {
    return pool != null;
  }
}

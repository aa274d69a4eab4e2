package io.sluice.admin;

import io.sluice.config.GatewayConfig;
import io.sluice.settings.NodeSettings;
import io.sluice.store.ConfigStore;
import io.sluice.store.EntityStore;
import io.sluice.store.StreamTokenStore;
import io.sluice.sync.ClusterStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the admin API's handlers share: the node's settings and, in PostgreSQL mode, the stores (entities,
 * declarative configuration, stream tokens; null when the node serves its routes file alone, and every
 * write then answers 503), and the
 * configuration the node serves (what GET /config exports in file mode), and the cluster's view of which
 * version each node applied (null in file mode) for /cluster and {@code ?wait=true}.
 */
public record AdminContext(Vertx vertx, NodeSettings settings, EntityStore entities, ConfigStore store,
                           StreamTokenStore streamTokens, LongSupplier appliedVersion, Supplier<GatewayConfig> servedConfig,
                           ClusterStatus cluster, Supplier<JsonObject> syncInfo,
                           Supplier<io.vertx.redis.client.RedisAPI> redis) {

  /** A context without the cluster's view or Redis (file mode; the proxy-cache purge then answers 503). */
  public AdminContext(Vertx vertx, NodeSettings settings, EntityStore entities, ConfigStore store,
                      LongSupplier appliedVersion, Supplier<GatewayConfig> servedConfig) {
    this(vertx, settings, entities, store, null, appliedVersion, servedConfig, null, JsonObject::new, null);
  }

  /** A context without access to the served configuration (GET /config then needs the store). */
  public AdminContext(Vertx vertx, NodeSettings settings, EntityStore entities, ConfigStore store,
                      LongSupplier appliedVersion) {
    this(vertx, settings, entities, store, null, appliedVersion, () -> null, null, JsonObject::new, null);
  }

  public boolean storeEnabled() {
    return entities != null;
  }
}

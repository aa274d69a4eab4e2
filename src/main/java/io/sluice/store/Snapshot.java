package io.sluice.store;

import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import java.util.List;

/**
 * The whole routing configuration (services, routes and the enabled plugins) as of one global version,
 * read in one transaction so that they agree: applying it and then the change log after {@code version}
 * misses nothing and applies nothing twice.
 */
public record Snapshot(long version, GatewayConfig config, List<PluginDef> plugins) {

  public Snapshot {
    plugins = plugins == null ? List.of() : List.copyOf(plugins);
  }

  /** A snapshot without plugins (file mode, exports). */
  public Snapshot(long version, GatewayConfig config) {
    this(version, config, List.of());
  }
}

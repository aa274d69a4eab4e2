package io.sluice.node;

import io.sluice.config.GatewayConfig;
import io.sluice.config.PluginDef;
import io.sluice.config.Rejection;
import io.sluice.config.RouteDef;
import io.sluice.route.RouteBuilder;
import io.sluice.sync.ConfigApplier;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The node's route builder as the sync applier calls it: a build of the whole, or a patch of what changed. */
record RouteApply(RouteBuilder builder) implements ConfigApplier.Apply {

  @Override
  public List<Rejection> apply(GatewayConfig config, List<PluginDef> plugins, Map<String, String> tenantIds,
                               boolean full) {
    return builder.apply(config, plugins, tenantIds, full);
  }

  @Override
  public List<Rejection> patch(GatewayConfig config, Set<String> removed, List<RouteDef> upserted) {
    return builder.patch(config, removed, upserted);
  }
}

package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An enabled plugin as the route table is built from it: which policy, where it applies (service and route
 * by name, consumer by id; null when the scope does not name one) and its configuration as stored. A plugin
 * whose configuration a node refused carries the reason ({@code refusal}, null otherwise): the routes it
 * applies to answer 503 instead of running without it (fail closed: a broken key-auth never opens a route).
 */
public record PluginDef(String id, String name, String scope, String service, String route, String consumer,
                        JsonNode config, String refusal) {

  public PluginDef(String id, String name, String scope, String service, String route, String consumer,
                   JsonNode config) {
    this(id, name, scope, service, route, consumer, config, null);
  }

  /** The same plugin, refused for {@code reason}. */
  public PluginDef refused(String reason) {
    return new PluginDef(id, name, scope, service, route, consumer, config, reason);
  }
}

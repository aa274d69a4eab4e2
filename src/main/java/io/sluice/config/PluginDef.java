package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An enabled plugin as the route table is built from it: which policy, where it applies (service and route
 * by name, consumer by id; null when the scope does not name one) and its configuration as stored.
 */
public record PluginDef(String id, String name, String scope, String service, String route, String consumer,
                        JsonNode config) {}

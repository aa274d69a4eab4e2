package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One whole, validated configuration: the content of a declarative file. Routes are written last, so that a
 * route appended to an exported YAML file lands in their list.
 */
@JsonPropertyOrder({"format_version", "services", "plugins", "routes"})
public record GatewayConfig(@JsonProperty("format_version") int formatVersion, List<ServiceDef> services,
                            List<RouteDef> routes, List<PluginEntry> plugins) {

  @JsonCreator
  public GatewayConfig(@JsonProperty("format_version") int formatVersion,
                       @JsonProperty("services") List<ServiceDef> services,
                       @JsonProperty("routes") List<RouteDef> routes,
                       @JsonProperty("plugins") List<PluginEntry> plugins) {
    this.formatVersion = formatVersion;
    this.services = services;
    this.routes = routes;
    this.plugins = plugins == null ? List.of() : plugins;
  }

  /** A configuration without plugins. */
  public GatewayConfig(int formatVersion, List<ServiceDef> services, List<RouteDef> routes) {
    this(formatVersion, services, routes, List.of());
  }
}

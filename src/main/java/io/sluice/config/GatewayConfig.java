package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** One whole, validated configuration: the content of a declarative file. */
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

package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** One whole, validated configuration: the content of a declarative file. */
public record GatewayConfig(@JsonProperty("format_version") int formatVersion, List<ServiceDef> services,
                            List<RouteDef> routes) {}

package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** A route as declared: which requests it matches and the service they go to. */
public record RouteDef(String name, String service, List<String> hosts, List<String> paths, List<String> methods,
                       Map<String, List<String>> headers,
                       @JsonProperty("strip_path") boolean stripPath,
                       @JsonProperty("preserve_host") boolean preserveHost,
                       int priority) {}

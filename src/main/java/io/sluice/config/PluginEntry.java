package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A plugin as a declarative file declares it: which policy, where it applies (global, or a service or route
 * of the file by name) and its configuration. A file names a plugin by its policy and target: there is one
 * instance of a policy per target (the plugins_one_per_target index), so that key is the plugin's name in a
 * diff. Plugins scoped to a consumer are not in the file (consumers are not yet) and apply leaves them alone.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PluginEntry(String name, String scope, String service, String route, JsonNode config,
                          boolean enabled) {

  /** The plugin's key in a file and in a diff: "rate-limiting (route orders)", "cors (global)". */
  @JsonIgnore
  public String key() {
    return name + " (" + scope + (service != null ? " " + service : route != null ? " " + route : "") + ")";
  }
}

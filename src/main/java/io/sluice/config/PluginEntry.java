package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A plugin as a declarative file declares it: which policy, where it applies (global, or a service, route or
 * consumer of the file by name; a consumer by its username and {@code tenant}, the default tenant when absent)
 * and its configuration. A file names a plugin by its policy and target: there is one instance of a policy per
 * target (the plugins_one_per_target index), so that key is the plugin's name in a diff.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "scope", "service", "route", "tenant", "consumer", "config", "enabled"})
public record PluginEntry(String name, String scope, String service, String route, String tenant, String consumer,
                          JsonNode config, boolean enabled) {

  /** A plugin of the global, service or route scope. */
  public PluginEntry(String name, String scope, String service, String route, JsonNode config, boolean enabled) {
    this(name, scope, service, route, null, null, config, enabled);
  }

  /** The plugin's key in a file and in a diff: "rate-limiting (route orders)", "acl (consumer acme/alice)". */
  @JsonIgnore
  public String key() {
    String target = target();
    return name + " (" + scope + (target.isEmpty() ? "" : " " + target) + ")";
  }

  /** The target's name: a service, a route, tenant/username of a consumer; "" for a global plugin. */
  @JsonIgnore
  public String target() {
    return service != null ? service : route != null ? route
        : consumer != null ? Tenants.of(tenant) + "/" + consumer : "";
  }

  /** The same plugin with its consumer's tenant spelled out (as stored). */
  public PluginEntry tenanted() {
    return consumer == null || tenant != null ? this
        : new PluginEntry(name, scope, service, route, Tenants.DEFAULT, consumer, config, enabled);
  }
}

package io.sluice.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.PluginDef;
import io.sluice.config.Schemas;

/**
 * A kind of policy: its name (also its schema's, {@code schema/policy/<name>.json}), its priority (higher
 * runs first) and how an instance is built from a plugin's configuration.
 */
public record PolicyType(String name, int priority, Factory factory) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Builds an instance; throws IllegalArgumentException for a configuration it cannot enforce. */
  @FunctionalInterface
  public interface Factory {
    Policy create(PluginDef plugin, PolicyServices services);
  }

  /** The plugin's configuration with the schema's defaults filled in, as the policy's config record. */
  public static <T> T config(PluginDef plugin, Class<T> type) {
    JsonNode config = plugin.config() == null ? JSON.createObjectNode() : plugin.config().deepCopy();
    if (!(config instanceof ObjectNode)) {
      throw new IllegalArgumentException("plugin " + plugin.id() + ": config must be an object");
    }
    var errors = Schemas.validate("policy/" + plugin.name(), config);
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException("plugin " + plugin.name() + " " + plugin.id() + ": " + errors);
    }
    Schemas.applyDefaults(config, Schemas.raw("policy/" + plugin.name()));
    return JSON.convertValue(config, type);
  }
}

package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The configuration schema of each policy, {@code schema/policy/<name>.json} on the classpath: a plugin
 * naming a policy without one is refused, and a plugin's config is validated against its policy's schema
 * when it is written, so that nothing unenforceable or invalid is stored. A policy ships its schema with
 * its code (the policies themselves come with the policies issue; until then every name is unknown).
 */
public final class PolicySchemas {

  private PolicySchemas() {}

  public static boolean known(String policy) {
    return policy.matches("[a-z][a-z0-9-]{0,63}")
        && PolicySchemas.class.getResource("/schema/policy/" + policy + ".json") != null;
  }

  /**
   * Fills in the defaults of {@code policy}'s schema where {@code config} (an object) leaves them out; nothing
   * for an unknown policy or a config that is no object. A plugin is stored, compared and exported so.
   */
  public static void applyDefaults(String policy, JsonNode config) {
    if (config != null && config.isObject() && known(policy)) {
      Schemas.applyDefaults(config, Schemas.raw("policy/" + policy));
    }
  }

  /** Every problem of {@code config} for {@code policy}, fields prefixed with {@code prefix}. */
  public static List<FieldError> validate(String policy, JsonNode config, String prefix) {
    List<FieldError> errors = new ArrayList<>();
    if (!known(policy)) {
      errors.add(new FieldError(prefix + "name", "unknown policy '" + policy + "'"));
      return errors;
    }
    for (FieldError e : Schemas.validate("policy/" + policy, config)) {
      String field = e.field().equals("(root)") ? "config" : "config." + e.field();
      errors.add(new FieldError(prefix + field, e.reason()));
    }
    if (errors.isEmpty() && ConnectionHeaderChecks.applies(policy)) {
      errors.addAll(ConnectionHeaderChecks.check(policy, config, prefix));
    }
    return errors;
  }
}

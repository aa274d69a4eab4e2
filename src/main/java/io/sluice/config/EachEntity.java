package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A document the schema refused, converted entity by entity: each entity that converts stands at its index, one
 * that does not is null there, so that the cross-checks of {@link DeclarativeConfig} (names unique, references
 * resolve) still run over the rest and report together with the schema's errors.
 */
final class EachEntity {

  private EachEntity() {}

  /** {@code doc} as a configuration whose lists hold null for each entity that does not convert. */
  static GatewayConfig convert(JsonNode doc, ObjectMapper mapper) {
    return new GatewayConfig(1, list(doc, "services", ServiceDef.class, mapper),
        list(doc, "routes", RouteDef.class, mapper), list(doc, "plugins", PluginEntry.class, mapper),
        doc.has("consumers") ? list(doc, "consumers", ConsumerEntry.class, mapper) : null,
        doc.has("certificates") ? list(doc, "certificates", CertificateEntry.class, mapper) : null,
        doc.has("tenants") ? list(doc, "tenants", TenantEntry.class, mapper) : null);
  }

  private static <T> List<T> list(JsonNode doc, String key, Class<T> type, ObjectMapper mapper) {
    List<T> out = new ArrayList<>();
    for (JsonNode entity : doc.path(key).isArray() ? doc.path(key) : mapper.createArrayNode()) {
      T converted = null;
      try {
        converted = mapper.convertValue(entity, type);
      } catch (IllegalArgumentException e) {
        // the schema's errors say why
      }
      out.add(converted);
    }
    return out;
  }

  /** The name of {@code doc}'s entity {@code key}[{@code i}] when it is a string, or null. */
  static String name(JsonNode doc, String key, int i) {
    JsonNode name = doc.path(key).path(i).path("name");
    return name.isTextual() ? name.asText() : null;
  }

  /** The key ("tenant/username") of {@code doc}'s consumer {@code i} when its username is a string, or null. */
  static String consumerKey(JsonNode doc, int i) {
    JsonNode c = doc.path("consumers").path(i);
    JsonNode tenant = c.path("tenant");
    return c.path("username").isTextual()
        ? Tenants.of(tenant.isTextual() ? tenant.asText() : null) + "/" + c.path("username").asText() : null;
  }

  /**
   * The errors of one entity's own check, or none when the check cannot run on it because the schema refused it
   * (when the document is {@code schemaValid}, the failure is thrown: a bug, not an invalid entity).
   */
  static List<FieldError> guarded(boolean schemaValid, Supplier<List<FieldError>> check) {
    try {
      return check.get();
    } catch (RuntimeException e) {
      if (schemaValid) {
        throw e;
      }
      return List.of();
    }
  }
}

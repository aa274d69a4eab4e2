package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.admin.Resource.Ref;
import io.sluice.config.ConsumerFields;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.EntityType;
import io.sluice.config.FieldError;
import io.sluice.config.IdFormNames;
import io.sluice.config.PolicySchemas;
import io.sluice.config.RouteDef;
import io.sluice.config.Schemas;
import io.sluice.config.ServerNames;
import io.sluice.config.ServiceDef;
import io.sluice.config.Tenants;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.tls.KeySealer;
import io.sluice.tls.Material;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Locale;
import java.util.List;

/**
 * The entities of the admin API. Services and routes are in the declarative file's shape (a route names
 * its service, a service its tenant), so an entity matches conf/routes.yaml and /config.
 */
final class Resources {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Ref TENANT = new Ref("tenant", EntityType.TENANT);

  private Resources() {}

  static List<Resource> all() {
    return List.of(tenants(), services(), routes(), consumers(), plugins());
  }

  static Resource tenants() {
    return new Resource("/tenants", EntityType.TENANT, "entity-tenant", Schemas.raw("entity-tenant"), List.of(),
        doc -> both(doc.path("name").isTextual() && Tenants.problem(doc.path("name").asText()) != null
            ? List.of(new FieldError("name", Tenants.problem(doc.path("name").asText()))) : List.of(),
            Tenants.checkHosts(doc, "")));
  }

  static Resource services() {
    return new Resource("/services", EntityType.SERVICE, "entity-service",
        Schemas.raw("declarative").at("/properties/services/items"), List.of(TENANT),
        doc -> both(IdFormNames.name("service", doc.path("name").asText()),
            DeclarativeConfig.checkService(JSON.convertValue(doc, ServiceDef.class), "")));
  }

  static Resource routes() {
    return new Resource("/routes", EntityType.ROUTE, "entity-route",
        Schemas.raw("declarative").at("/properties/routes/items"), List.of(new Ref("service", EntityType.SERVICE)),
        doc -> both(IdFormNames.name("route", doc.path("name").asText()),
            DeclarativeConfig.checkRoute(JSON.convertValue(doc, RouteDef.class), "")));
  }

  static Resource consumers() {
    return new Resource("/consumers", EntityType.CONSUMER, "entity-consumer", Schemas.raw("entity-consumer"),
        List.of(TENANT), doc -> ConsumerFields.checkDocument(doc, ""));
  }

  static Resource plugins() {
    return new Resource("/plugins", EntityType.PLUGIN, "entity-plugin", Schemas.raw("entity-plugin"),
        List.of(new Ref("service", EntityType.SERVICE), new Ref("route", EntityType.ROUTE),
            new Ref("consumer", EntityType.CONSUMER)),
        Resources::checkPluginScope);
  }

  /** Certificates (checked, their key sealed by {@code sealer} before it is written) and SNIs. */
  static List<Resource> tls(KeySealer sealer) {
    return List.of(certificates(sealer), snis());
  }

  static Resource certificates(KeySealer sealer) {
    return new Resource("/certificates", EntityType.CERTIFICATE, "entity-certificate",
        Schemas.raw("entity-certificate"), List.of(TENANT),
        doc -> both(IdFormNames.name("certificate", doc.path("name").asText()), checkCertificate(doc, sealer)));
  }

  static Resource snis() {
    return new Resource("/snis", EntityType.SNI, "entity-sni", Schemas.raw("entity-sni"),
        List.of(new Ref("certificate", EntityType.CERTIFICATE)), doc -> {
          ((ObjectNode) doc).put("name", doc.path("name").asText().toLowerCase(Locale.ROOT));
          String why = ServerNames.problem(doc.path("name").asText());
          return why == null ? List.of() : List.of(new FieldError("name", why));
        });
  }

  private static List<FieldError> both(List<FieldError> a, List<FieldError> b) {
    List<FieldError> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /**
   * The chain parses, the key is the leaf's, the leaf has not expired; then the key is replaced by its sealed
   * form and what was read from the leaf is filled in. The key in clear never leaves this method.
   */
  private static List<FieldError> checkCertificate(JsonNode doc, KeySealer sealer) {
    List<FieldError> errors = new ArrayList<>();
    Material m = Material.check(doc.path("cert").asText(), doc.path("key").asText(), Instant.now(), errors);
    ObjectNode o = (ObjectNode) doc;
    o.remove("key");
    if (m == null) {
      return errors;
    }
    o.put("key_enc", Base64.getEncoder().encodeToString(sealer.seal(m.keyPkcs8(), m.fingerprint())));
    o.put("subject", m.subject());
    ArrayNode names = o.putArray("names");
    m.names().forEach(names::add);
    o.put("not_after", m.notAfter().toString());
    o.put("fingerprint", m.fingerprint());
    return errors;
  }

  /** A plugin names a known policy, its config fits the policy's schema, and it names its scope's target. */
  private static List<FieldError> checkPluginScope(JsonNode doc) {
    String scope = doc.path("scope").asText();
    List<FieldError> errors = new ArrayList<>(
        PolicySchemas.validate(doc.path("name").asText(), doc.path("config"), ""));
    if (errors.isEmpty()) {
      errors.addAll(io.sluice.policy.registry.Policies.check(doc.path("name").asText(), doc.path("config")));
    }
    if (errors.isEmpty() && doc instanceof com.fasterxml.jackson.databind.node.ObjectNode obj) {
      // Stored and answered with the policy's defaults filled in, as every other entity is.
      if (!obj.has("config")) {
        obj.putObject("config");
      }
      PolicySchemas.applyDefaults(doc.path("name").asText(), obj.get("config"));
    }
    for (String target : List.of("service", "route", "consumer")) {
      boolean present = doc.has(target);
      if (target.equals(scope) && !present) {
        errors.add(new FieldError(target, "is required for scope " + scope));
      } else if (!target.equals(scope) && present) {
        errors.add(new FieldError(target, "not allowed for scope " + scope));
      }
    }
    return errors;
  }
}

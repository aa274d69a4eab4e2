package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a declarative configuration (YAML or JSON, the format of conf/routes.yaml and of the admin API's
 * /config): schema first, then the rules a schema cannot say (names unique, references resolve, patterns
 * compile). Any error refuses the whole file.
 */
public final class DeclarativeConfig {

  static final String SCHEMA = "declarative";
  private static final ObjectMapper YAML = InputMappers.yaml();
  private static final ObjectMapper JSON = InputMappers.json();

  private DeclarativeConfig() {}

  public static GatewayConfig read(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new ConfigException(List.of(new FieldError(file.toString(), "cannot read: " + e.getMessage())));
    }
  }

  /** Parses YAML (JSON is YAML too) into a validated configuration, or throws {@link ConfigException}. */
  public static GatewayConfig parse(String text) {
    return parse(text, false);
  }

  /**
   * Parses a file as a user gave it (YAML, or strictly JSON when {@code json}) into a validated configuration:
   * every string and key first held to {@link InputStrings} (refused alone, each named), then {@link #fromTree}.
   * Throws {@link ConfigException}.
   */
  public static GatewayConfig parse(String text, boolean json) {
    JsonNode doc;
    try {
      doc = (json ? JSON : YAML).readTree(text);
    } catch (InputRefused e) {
      throw new ConfigException(List.of(e.error()));
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new ConfigException(List.of(new FieldError("(document)",
          (json ? "not valid JSON" : "not valid YAML or JSON") + InputMappers.where(e) + ": " + InputMappers.reason(e))));
    } catch (IOException e) {
      throw new ConfigException(List.of(new FieldError("(document)", "unreadable: " + e.getMessage())));
    }
    if (doc == null || doc.isMissingNode()) {
      throw new ConfigException(List.of(new FieldError("(document)", "is empty")));
    }
    List<FieldError> strings = InputStrings.check(doc);
    if (!strings.isEmpty()) {
      throw new ConfigException(strings);
    }
    return fromTree(withoutNulls(doc));
  }

  /**
   * {@code doc} with every key given null left out, in entities and the objects within them, so that a null is
   * the field's default as in the admin API's writes ({@code hosts: null}, or YAML's {@code hosts:} left empty, is
   * no hosts). No field of the file takes null as a value of its own; a null in a list is still refused.
   */
  private static JsonNode withoutNulls(JsonNode doc) {
    if (doc instanceof ObjectNode o) {
      o.properties().removeIf(e -> e.getValue().isNull());
    }
    doc.forEach(DeclarativeConfig::withoutNulls);
    return doc;
  }

  /**
   * Validates a document already parsed (for instance assembled from the PostgreSQL store) exactly like a
   * file: schema, defaults filled in place, cross-checks. Throws {@link ConfigException} with every error.
   */
  public static GatewayConfig fromTree(JsonNode doc) {
    List<FieldError> errors = new ArrayList<>(Schemas.validate(SCHEMA, doc));
    boolean pluginsKey = doc.has("plugins"); // before the schema's default fills it in: a tenant's file has none
    Schemas.applyDefaults(doc, Schemas.raw(SCHEMA));
    for (JsonNode p : doc.path("plugins")) {
      // A policy's defaults filled as the admin API fills them, so that a file and the store compare equal.
      if (p.path("name").isTextual()) {
        PolicySchemas.applyDefaults(p.path("name").asText(), p.get("config"));
      }
    }
    GatewayConfig config = null;
    try {
      config = YAML.convertValue(doc, GatewayConfig.class);
    } catch (IllegalArgumentException e) {
      // A document the schema refused may not convert whole: its entities that do convert are cross-checked
      // still (names unique, references resolve), so that one round trip shows every error.
    }
    GatewayConfig checked = config != null ? config : EachEntity.convert(doc, YAML);
    // Reference and cross-field errors together with the schema's, so that one round trip shows them all.
    java.util.Set<String> named = new java.util.HashSet<>();
    errors.forEach(e -> named.add(e.field()));
    try {
      for (FieldError e : crossCheck(checked, doc, errors.isEmpty())) {
        // One reason per field: a cross-check's words beat the schema's "not of the expected form".
        if (errors.removeIf(s -> s.field().equals(e.field()) && Schemas.isFormError(s))
            || !named.contains(e.field())) {
          errors.add(e);
        }
      }
    } catch (RuntimeException e) {
      if (errors.isEmpty()) {
        throw e;
      } // a cross-check a broken entity still threw in: the schema's errors stand alone
    }
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return pluginsKey ? config : config.withoutPluginsKey();
  }

  /**
   * Every error a file would have for this one consumer object (its strings, the schema, the consumer rules), its
   * fields named under {@code at} ({@code consumers[7]}) instead of the place it would have in a file of its own:
   * what an export tells of a stored consumer, so that it refuses exactly what {@code PUT /config} would.
   */
  public static List<FieldError> checkConsumer(JsonNode consumer, String at) {
    com.fasterxml.jackson.databind.node.ObjectNode file = JSON.createObjectNode().put("format_version", 1);
    file.putArray("consumers").add(consumer.deepCopy());
    List<FieldError> errors = new ArrayList<>(InputStrings.check(file));
    if (errors.isEmpty()) {
      try {
        fromTree(file);
      } catch (ConfigException e) {
        errors.addAll(e.errors());
      }
    }
    String own = "consumers[0]";
    return errors.stream().map(e -> e.field().startsWith(own)
        ? new FieldError(at + e.field().substring(own.length()), e.reason()) : e).toList();
  }

  /**
   * One service of a file, checked on its own exactly as the file would check it (schema, defaults filled
   * in place, the rules a schema cannot say): what a node checks of each service it builds. Throws
   * {@link ConfigException} with the service's own fields.
   */
  public static ServiceDef service(JsonNode def) {
    List<FieldError> errors = Schemas.validate("entity-service", def);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    Schemas.applyDefaults(def, Schemas.raw(SCHEMA).at("/properties/services/items"));
    ServiceDef service = YAML.convertValue(def, ServiceDef.class);
    errors = checkService(service, "");
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return service;
  }

  /** One route, checked on its own like {@link #service} (its service's existence is the caller's to check). */
  /**
   * A stored route or service as it stands, converted without the declarative rules' checks (defaults filled in): what a
   * diff shows as the old side of a row written with psql that breaks them. Throws IllegalArgumentException when the
   * row does not even convert.
   */
  public static <T> T asStored(JsonNode def, Class<T> type) {
    JsonNode copy = def.deepCopy();
    Schemas.applyDefaults(copy, Schemas.raw(SCHEMA).at(type == RouteDef.class ? "/properties/routes/items"
        : "/properties/services/items"));
    return YAML.convertValue(copy, type);
  }

  public static RouteDef route(JsonNode def) {
    List<FieldError> errors = Schemas.validate("entity-route", def);
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    Schemas.applyDefaults(def, Schemas.raw(SCHEMA).at("/properties/routes/items"));
    RouteDef route = YAML.convertValue(def, RouteDef.class);
    errors = checkRoute(route, "");
    if (!errors.isEmpty()) {
      throw new ConfigException(errors);
    }
    return route;
  }

  /**
   * The rules a schema cannot say, over {@code config} whose entities may be null where {@code doc}'s did not
   * convert (the schema refused them): such an entity's name still counts (a duplicate of it is one, a reference to
   * it resolves), and its own checks and references are skipped; so is an entity whose own check cannot run
   * when the schema refused something ({@code schemaValid} false; otherwise such a failure is a bug, thrown).
   */
  static List<FieldError> crossCheck(GatewayConfig config, JsonNode doc, boolean schemaValid) {
    List<FieldError> errors = new ArrayList<>();
    Set<String> services = new HashSet<>();
    for (int i = 0; i < config.services().size(); i++) {
      ServiceDef s = config.services().get(i);
      String name = s != null ? s.name() : EachEntity.name(doc, "services", i);
      if (name != null && !services.add(name)) {
        errors.add(new FieldError("services[" + i + "].name", "duplicate service name '" + name + "'"));
      }
      if (s != null) {
        String at = "services[" + i + "].";
        errors.addAll(EachEntity.guarded(schemaValid, () -> checkService(s, at)));
      }
    }
    Set<String> routes = new HashSet<>();
    for (int i = 0; i < config.routes().size(); i++) {
      RouteDef r = config.routes().get(i);
      String name = r != null ? r.name() : EachEntity.name(doc, "routes", i);
      if (name != null && !routes.add(name)) {
        errors.add(new FieldError("routes[" + i + "].name", "duplicate route name '" + name + "'"));
      }
      if (r == null) {
        continue;
      }
      if (r.service() != null && !services.contains(r.service())) {
        errors.add(new FieldError("routes[" + i + "].service", "no service named '" + r.service() + "'"));
      }
      String at = "routes[" + i + "].";
      errors.addAll(EachEntity.guarded(schemaValid, () -> checkRoute(r, at)));
    }
    Set<String> consumers = new HashSet<>();
    if (config.hasCertificates()) {
      errors.addAll(CertificateChecks.check(config.certificates()));
    }
    if (config.hasConsumers()) {
      errors.addAll(ConsumerChecks.check(config.consumers(), consumers, doc));
    }
    errors.addAll(checkPlugins(config.plugins(), services, routes, consumers));
    return errors;
  }

  /**
   * Each plugin's target names a service, route or consumer of the file (exactly the one its scope needs), one plugin of
   * a policy per target, and its config valid by its policy's schema (every failing field named).
   */
  private static List<FieldError> checkPlugins(List<PluginEntry> plugins, Set<String> services, Set<String> routes,
                                               Set<String> consumers) {
    List<FieldError> errors = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < plugins.size(); i++) {
      PluginEntry p = plugins.get(i);
      String at = "plugins[" + i + "].";
      if (p == null || p.name() == null || p.scope() == null) {
        continue; // the schema refused it: its references cannot be told
      }
      boolean wantsService = "service".equals(p.scope());
      boolean wantsRoute = "route".equals(p.scope());
      if (wantsService != (p.service() != null)) {
        errors.add(new FieldError(at + "service", wantsService ? "is required with scope service"
            : "only with scope service"));
      } else if (wantsService && !services.contains(p.service())) {
        errors.add(new FieldError(at + "service", "no service named '" + p.service() + "'"));
      }
      if (wantsRoute != (p.route() != null)) {
        errors.add(new FieldError(at + "route", wantsRoute ? "is required with scope route" : "only with scope route"));
      } else if (wantsRoute && !routes.contains(p.route())) {
        errors.add(new FieldError(at + "route", "no route named '" + p.route() + "'"));
      }
      ConsumerChecks.checkPluginTarget(p, at, consumers, errors);
      if (!keys.add(p.key())) {
        errors.add(new FieldError(at + "name", "duplicate plugin " + p.key() + ": one of a policy per target"));
      }
      errors.addAll(PolicySchemas.validate(p.name(), p.config(), at));
    }
    return errors;
  }

  /**
   * The rules of one service a schema cannot say (ports in range, a numeric host a valid IPv4 address, a target
   * with weight, backoff cap above base); {@code at} prefixes each field ("services[2]." in a file, "" for the
   * admin API's entity).
   */
  public static List<FieldError> checkService(ServiceDef s, String at) {
    List<FieldError> errors = new ArrayList<>();
    for (int t = 0; t < s.targets().size(); t++) {
      String address = s.targets().get(t).address();
      if (address.startsWith("srv://")) {
        continue; // the SRV records give the ports
      }
      int open = address.indexOf('[');
      if (open >= 0 && !NetUtil.isValidIpV6Address(address.substring(open + 1, address.indexOf(']')))) {
        errors.add(new FieldError(at + "targets[" + t + "].address", "is not an IPv6 address in brackets"
            + " ([::1]:8080)"));
        continue;
      }
      int start = address.contains("://") ? address.indexOf("://") + 3 : 0;
      int colon = address.lastIndexOf(':');
      String host = open >= 0 || address.startsWith("k8s://") || colon < start ? null : address.substring(start, colon);
      if (host != null && (host.length() > 254 || host.matches("[0-9.]+") && !NetUtil.isValidIpV4Address(host))) {
        errors.add(new FieldError(at + "targets[" + t + "].address", host.length() > 254
            ? "the host name is longer than 253 characters" : "is not an IPv4 address (four numbers 0 to 255)"));
        continue;
      }
      String portText = address.substring(address.lastIndexOf(':') + 1);
      if (address.startsWith("k8s://") && !portText.chars().allMatch(Character::isDigit)) {
        continue; // a port name, of the Service's EndpointSlices
      }
      int port = Integer.parseInt(portText);
      if (port < 1 || port > 65535) {
        errors.add(new FieldError(at + "targets[" + t + "].address", "port must be 1 to 65535"));
      }
    }
    if (s.targets().stream().allMatch(t -> t.weight() == 0)) {
      errors.add(new FieldError(at + "targets", "at least one target needs a weight above 0"));
    }
    if (s.tls() != null && s.tls().caBundle() != null) {
      String problem = caBundleProblem(s.tls().caBundle());
      if (problem != null) {
        errors.add(new FieldError(at + "tls.ca_bundle", problem));
      }
    }
    if (s.retryBackoff().capMs() < s.retryBackoff().baseMs()) {
      errors.add(new FieldError(at + "retry_backoff.cap_ms", "must be at least base_ms"));
    }
    return errors;
  }

  /** Why a service's CA bundle cannot be used (no certificate in it, or one that does not parse), or null. */
  static String caBundleProblem(String pem) {
    try {
      var certs = java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificates(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
      return certs.isEmpty() ? "holds no PEM certificate" : null;
    } catch (java.security.cert.CertificateException e) {
      return "is not PEM certificates: " + e.getMessage();
    }
  }

  /**
   * Why a header value to match can never be presented, or null: a request's header value arrives without its
   * leading and trailing spaces and tabs (RFC 9110 5.5), and as bytes read as Latin-1 (one character each).
   */
  static String headerValueProblem(String value) {
    if (!value.isEmpty() && (isOws(value.charAt(0)) || isOws(value.charAt(value.length() - 1)))) {
      return "leading or trailing spaces never match: a request's header value is read without them";
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) > 0xff) {
        return "characters beyond Latin-1 never match (at " + i + "): a header value is read one byte per"
            + " character";
      }
    }
    return null;
  }

  private static boolean isOws(char c) {
    return c == ' ' || c == '\t';
  }

  /** The rules of one route a schema cannot say (paths and regexes that compile), fields prefixed by {@code at}. */
  public static List<FieldError> checkRoute(RouteDef r, String at) {
    List<FieldError> errors = new ArrayList<>();
    for (int p = 0; p < r.paths().size(); p++) {
      String problem = PathPattern.problem(r.paths().get(p));
      if (problem != null) {
        errors.add(new FieldError(at + "paths[" + p + "]", problem));
      }
    }
    (r.headers() == null ? Map.<String, List<String>>of() : r.headers()).forEach((name, values) -> {
      for (int v = 0; v < values.size(); v++) {
        String problem = headerValueProblem(values.get(v));
        if (problem != null) {
          errors.add(new FieldError(at + "headers." + name + "[" + v + "]", problem));
        }
      }
    });
    return errors;
  }
}

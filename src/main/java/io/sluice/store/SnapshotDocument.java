package io.sluice.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.CertificateEntry;
import io.sluice.config.ConfigException;
import io.sluice.config.ConsumerEntry;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.FieldError;
import io.sluice.config.GatewayConfig;
import io.sluice.config.InputStrings;
import io.sluice.config.PluginDef;
import io.sluice.config.PluginEntry;
import io.sluice.config.PolicySchemas;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.sluice.config.TenantEntry;
import io.sluice.credential.JwtKeys;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rows of a snapshot in the declarative file's shape: PostgreSQL assembles each service and route as a
 * JSON object with the file's keys (their one projection), and the result goes through the same validation as conf/routes.yaml,
 * so a snapshot yields exactly the records a file with the same content would. {@code consumers} (with their
 * credentials, {@link ConsumerFile}) and {@code certificates} ({@link CertificateFile}) are null in a node's
 * snapshot (and certificates in a tenant's part) and lists in an export; {@code tenants} (those with host names
 * assigned, {@link TenantSql#FILE}) likewise, and null in a tenant's part too.
 */
record SnapshotDocument(long version, List<String> services, List<String> routes, List<String> plugins,
                        List<String> filePlugins, List<String> consumers, List<String> certificates,
                        List<String> tenants) {

  SnapshotDocument(long version, List<String> services, List<String> routes, List<String> plugins,
                   List<String> filePlugins, List<String> consumers, List<String> certificates) {
    this(version, services, routes, plugins, filePlugins, consumers, certificates, null);
  }

  SnapshotDocument(long version, List<String> services, List<String> routes) {
    this(version, services, routes, List.of(), List.of(), null, null);
  }

  SnapshotDocument(long version, List<String> services, List<String> routes, List<String> plugins) {
    this(version, services, routes, plugins, List.of(), null, null);
  }

  SnapshotDocument(long version, List<String> services, List<String> routes, List<String> plugins,
                   List<String> filePlugins) {
    this(version, services, routes, plugins, filePlugins, null, null);
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Validates and converts; CPU work proportional to the configuration, so callers run it on a worker. */
  Snapshot toSnapshot() throws IOException {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("format_version", 1);
    ArrayNode s = doc.putArray("services");
    for (String json : services) {
      s.add(JSON.readTree(json));
    }
    ArrayNode r = doc.putArray("routes");
    for (String json : routes) {
      r.add(JSON.readTree(json));
    }
    ArrayNode f = doc.putArray("plugins");
    for (String json : filePlugins) {
      f.add(JSON.readTree(json));
    }
    if (consumers != null) { // a node's snapshot holds no consumers (loaded on demand, never whole)
      ArrayNode c = doc.putArray("consumers");
      for (String json : consumers) {
        c.add(JSON.readTree(json));
      }
    }
    if (certificates != null) {
      ArrayNode c = doc.putArray("certificates");
      for (String json : certificates) {
        c.add(JSON.readTree(json));
      }
    }
    if (tenants != null) {
      ArrayNode t = doc.putArray("tenants");
      for (String json : tenants) {
        t.add(JSON.readTree(json));
      }
    }
    List<PluginDef> defs = new java.util.ArrayList<>(plugins.size());
    for (String json : plugins) {
      com.fasterxml.jackson.databind.JsonNode p = JSON.readTree(json);
      defs.add(new PluginDef(p.path("id").asText(), p.path("name").asText(), p.path("scope").asText(),
          text(p, "service"), text(p, "route"), text(p, "consumer"), p.path("config")));
    }
    return new Snapshot(version, DeclarativeConfig.fromTree(doc), defs);
  }

  /**
   * The file of an export whose consumers are streamed apart ({@link ConfigStore#exportFile}): validated as
   * {@link #toSnapshot} does, but for the consumer-scoped plugins, whose consumers are not in this document. Those
   * are checked against their policy's schema alone (their consumer exists: the database's foreign key says so),
   * and join the other plugins; the consumers list is empty, for the export to fill. Every string is held to the
   * rule of a file's strings too ({@link InputStrings}: a control character written with psql makes a file
   * {@code PUT /config} refuses), and so are {@code refusedConsumers}, the consumers PostgreSQL found breaking the
   * file's rules ({@link ConsumerFile#refused}: their place in the file and their object), each checked as a file's
   * consumer ({@link DeclarativeConfig#checkConsumer}).
   */
  Snapshot toExport(Map<Long, String> refusedConsumers) throws IOException {
    List<String> own = new ArrayList<>(filePlugins.size());
    List<PluginEntry> ofConsumers = new ArrayList<>();
    List<FieldError> errors = new ArrayList<>();
    for (String json : filePlugins) {
      JsonNode node = JSON.readTree(json);
      if ("consumer".equals(node.path("scope").asText())) {
        PluginEntry p = JSON.treeToValue(node, PluginEntry.class);
        String at = "plugins[" + p.name() + " of consumer " + p.target() + "]";
        errors.addAll(InputStrings.check(node, at));
        errors.addAll(PolicySchemas.validate(p.name(), p.config(), at + "."));
        ofConsumers.add(p);
      } else {
        own.add(json);
      }
    }
    strings("services", services, errors);
    strings("routes", routes, errors);
    strings("plugins", own, errors);
    strings("certificates", certificates == null ? List.of() : certificates, errors);
    Snapshot rest = null;
    try {
      rest = new SnapshotDocument(version, services, routes, plugins, own, List.of(), certificates, tenants)
          .toSnapshot();
    } catch (ConfigException e) {
      e.errors().stream().filter(d -> errors.stream().noneMatch(s -> s.field().equals(d.field())))
          .forEach(errors::add);
    }
    overlaps(errors);
    List<StoredConfigInvalidException.Problem> problems = rows(errors, own);
    for (Map.Entry<Long, String> c : refusedConsumers.entrySet()) {
      ConsumerEntry consumer = consumer(c.getValue());
      String at = "consumers[" + c.getKey() + "]";
      List<FieldError> found = new ArrayList<>(DeclarativeConfig.checkConsumer(JSON.readTree(c.getValue()), at));
      unusableKeys(consumer, at, found);
      for (FieldError e : found) {
        problems.add(new StoredConfigInvalidException.Problem("consumer", consumer.key(), e));
      }
    }
    if (!problems.isEmpty()) {
      throw new StoredConfigInvalidException(problems);
    }
    List<PluginEntry> all = new ArrayList<>(rest.config().plugins());
    all.addAll(ofConsumers);
    GatewayConfig c = rest.config();
    return new Snapshot(version, new GatewayConfig(c.formatVersion(), c.services(), c.routes(), all, c.consumers(),
        c.certificates(), c.tenants()), rest.plugins());
  }

  /**
   * Adds to {@code found} the JWT public keys of {@code consumer} that do not parse for their algorithm (a PEM
   * header over a body that is not a key, written with psql before V25 refused it; the admin API and PUT /config
   * parse keys, a file's own checks do not), unless its field is named already.
   */
  private static void unusableKeys(ConsumerEntry consumer, String at, List<FieldError> found) {
    for (int j = 0; consumer.jwt() != null && j < consumer.jwt().size(); j++) {
      ConsumerEntry.JwtEntry e = consumer.jwt().get(j);
      String field = at + ".jwt[" + j + "].public_key";
      if (e.publicKey() == null || found.stream().anyMatch(f -> f.field().equals(field))) {
        continue;
      }
      String problem = JwtKeys.problem(e.algorithm(), e.publicKey());
      if (problem != null) {
        found.add(new FieldError(field, "not a usable " + e.algorithm() + " public key: " + problem));
      }
    }
  }

  /**
   * {@link #toSnapshot} of rows that were stored, as a rollback reads them (the configuration at an earlier
   * version): held to what {@link #toExport} holds them to (the file's rules, every string to {@link InputStrings}'),
   * and a row that breaks them fails with {@link StoredConfigInvalidException} naming it ({@code consumer
   * 'acme/carol'}, its field in the file), not with a file's 400 whose places name no row the operator wrote. But a
   * consumer that breaks them (with its consumer-scoped plugins) is carried as it is and named as held
   * ({@link HeldConsumers}): only a rollback that would write it back is refused, so that one row written with psql
   * does not block rolling back what never touched it.
   */
  EarlierConfig toStored(long at) throws IOException {
    List<FieldError> errors = new ArrayList<>();
    Snapshot snapshot = checked(errors);
    if (errors.isEmpty()) {
      return new EarlierConfig(at, snapshot.config(), HeldConsumers.NONE);
    }
    List<StoredConfigInvalidException.Problem> problems = rows(errors, filePlugins);
    HeldConsumers h = HeldConsumers.of(at, problems);
    if (h == null) {
      throw new StoredConfigInvalidException(problems, at);
    }
    List<String> ownConsumers = new ArrayList<>();
    List<ConsumerEntry> heldConsumers = new ArrayList<>();
    for (String json : consumers) {
      ConsumerEntry c = consumer(json);
      if (h.holds(c)) {
        heldConsumers.add(c);
      } else {
        ownConsumers.add(json);
      }
    }
    List<String> ownPlugins = new ArrayList<>();
    List<PluginEntry> heldPlugins = new ArrayList<>();
    for (String json : filePlugins) {
      PluginEntry p = JSON.readValue(json, PluginEntry.class);
      if (h.holdsPluginOf(p)) {
        heldPlugins.add(p);
      } else {
        ownPlugins.add(json);
      }
    }
    SnapshotDocument rest = new SnapshotDocument(version, services, routes, plugins, ownPlugins, ownConsumers,
        certificates);
    snapshot = rest.checked(errors = new ArrayList<>());
    if (!errors.isEmpty()) {
      throw new StoredConfigInvalidException(rest.rows(errors, ownPlugins), at);
    }
    return new EarlierConfig(at, HeldConsumers.putBack(snapshot.config(), heldConsumers, heldPlugins), h);
  }

  /** {@link #toSnapshot}, or null with {@code errors} (each string to {@link InputStrings}' rule too) filled in. */
  private Snapshot checked(List<FieldError> errors) throws IOException {
    strings("services", services, errors);
    strings("routes", routes, errors);
    strings("plugins", filePlugins, errors);
    strings("certificates", certificates == null ? List.of() : certificates, errors);
    strings("consumers", consumers == null ? List.of() : consumers, errors);
    overlaps(errors);
    try {
      Snapshot snapshot = toSnapshot();
      return errors.isEmpty() ? snapshot : null;
    } catch (ConfigException e) {
      e.errors().stream().filter(d -> errors.stream().noneMatch(s -> s.field().equals(d.field())))
          .forEach(errors::add);
      return null;
    }
  }

  /** The strings of each row of {@code kind} that break {@link InputStrings}' rule, named by the row's place. */
  private static void strings(String kind, List<String> rows, List<FieldError> errors) throws IOException {
    for (int i = 0; i < rows.size(); i++) {
      errors.addAll(InputStrings.check(JSON.readTree(rows.get(i)), kind + "[" + i + "]"));
    }
  }

  private static final java.util.regex.Pattern INDEXED =
      java.util.regex.Pattern.compile("^(services|routes|plugins|certificates|consumers|tenants)\\[(\\d+)]");

  /**
   * Each error with the row it is about: {@code routes[17].paths[0]} is the route at index 17 of the document,
   * named here ({@code own} the plugins that were in it; a consumer by {@code tenant/username}); an error of a
   * consumer's plugin names it already.
   */
  private List<StoredConfigInvalidException.Problem> rows(List<FieldError> errors, List<String> own)
      throws IOException {
    List<StoredConfigInvalidException.Problem> out = new ArrayList<>(errors.size());
    for (FieldError e : errors) {
      java.util.regex.Matcher m = INDEXED.matcher(e.field());
      String entity = "configuration";
      String name = "(whole file)";
      if (m.find()) {
        List<String> rows = switch (m.group(1)) {
          case "services" -> services;
          case "routes" -> routes;
          case "plugins" -> own;
          case "consumers" -> consumers == null ? List.<String>of() : consumers;
          case "tenants" -> tenants == null ? List.<String>of() : tenants;
          default -> certificates == null ? List.of() : certificates;
        };
        entity = m.group(1).substring(0, m.group(1).length() - 1);
        int i = Integer.parseInt(m.group(2));
        if (i < rows.size()) {
          JsonNode row = JSON.readTree(rows.get(i));
          String scope = row.path("scope").asText();
          name = entity.equals("consumer") ? consumer(rows.get(i)).key()
              : !entity.equals("plugin") ? row.path("name").asText()
              : row.path("name").asText() + " of " + scope + (row.hasNonNull(scope) ? " " + row.get(scope).asText() : "");
        }
      } else if (e.field().startsWith("plugins[")) {
        entity = "plugin";
        name = e.field().substring("plugins[".length(), e.field().indexOf(']'));
      }
      out.add(new StoredConfigInvalidException.Problem(entity, name, e));
    }
    return out;
  }

  /** One consumer of {@link ConsumerFile}'s rows. */
  static ConsumerEntry consumer(String json) throws IOException {
    return JSON.readValue(json, ConsumerEntry.class);
  }

  /**
   * The diff from the stored configuration to {@code wanted} ({@code tenants} the names that exist). A service or
   * route row that breaks the declarative rules (written with psql where PostgreSQL cannot tell, such as a regex
   * Java does not compile) stands in the stored side as an entity equal to nothing, so that a file that fixes or
   * leaves it out applies (updating or deleting it) instead of failing on it; the diff shows its old side with the
   * values as stored, where the stand-in would show defaults the row never held (an outside tester: a rollback's
   * dry run showed strip_path false and priority -2147483648 for a row holding true and 0). A row that does not
   * convert at all is shown as its stand-in.
   */
  ConfigDiff diffTo(GatewayConfig wanted, Set<String> tenants) throws IOException {
    List<ServiceDef> s = new ArrayList<>(services.size());
    Map<String, ServiceDef> storedServices = new java.util.HashMap<>();
    for (String json : services) {
      JsonNode node = JSON.readTree(json);
      try {
        s.add(DeclarativeConfig.service(node.deepCopy()));
      } catch (ConfigException | IllegalArgumentException e) {
        String name = node.path("name").asText();
        s.add(new ServiceDef(name, null, null, List.of(), null, -1, null, null, null, null, null));
        asStored(node, ServiceDef.class).ifPresent(def -> storedServices.put(name, def));
      }
    }
    List<RouteDef> r = new ArrayList<>(routes.size());
    Map<String, RouteDef> storedRoutes = new java.util.HashMap<>();
    for (String json : routes) {
      JsonNode node = JSON.readTree(json);
      try {
        r.add(DeclarativeConfig.route(node.deepCopy()));
      } catch (ConfigException | IllegalArgumentException e) {
        String name = node.path("name").asText();
        r.add(new RouteDef(name, node.path("service").asText(), List.of(), List.of(), List.of(), Map.of(), false,
            false, Integer.MIN_VALUE));
        asStored(node, RouteDef.class).ifPresent(def -> storedRoutes.put(name, def));
      }
    }
    return ConfigDiff.between(stored(s, r), wanted, tenants, new ConfigDiff.AsStored(storedServices, storedRoutes));
  }

  /** A row as it stands ({@link DeclarativeConfig#asStored}); empty when it does not convert at all. */
  private static <T> java.util.Optional<T> asStored(JsonNode node, Class<T> type) {
    try {
      return java.util.Optional.of(DeclarativeConfig.asStored(node, type));
    } catch (IllegalArgumentException unconvertible) {
      return java.util.Optional.empty();
    }
  }

  /** The stored configuration with {@code s} and {@code r} as its services and routes. */
  private GatewayConfig stored(List<ServiceDef> s, List<RouteDef> r) throws IOException {
    List<PluginEntry> p = new ArrayList<>(filePlugins.size());
    for (String json : filePlugins) {
      p.add(JSON.treeToValue(JSON.readTree(json), PluginEntry.class));
    }
    List<ConsumerEntry> c = new ArrayList<>();
    for (String json : consumers == null ? List.<String>of() : consumers) {
      c.add(JSON.treeToValue(JSON.readTree(json), ConsumerEntry.class));
    }
    List<CertificateEntry> certs = new ArrayList<>();
    for (String json : certificates == null ? List.<String>of() : certificates) {
      certs.add(JSON.treeToValue(JSON.readTree(json), CertificateEntry.class));
    }
    List<TenantEntry> t = new ArrayList<>();
    for (String json : tenants == null ? List.<String>of() : tenants) {
      t.add(JSON.readValue(json, TenantEntry.class));
    }
    return new GatewayConfig(1, s, r, p, c, certs, t);
  }

  /** Adds the host names assigned to two tenants at once (written with psql), {@link HostAssignments#overlapping}. */
  private void overlaps(List<FieldError> errors) throws IOException {
    List<TenantEntry> t = new ArrayList<>();
    for (String json : tenants == null ? List.<String>of() : tenants) {
      t.add(JSON.readValue(json, TenantEntry.class));
    }
    errors.addAll(HostAssignments.overlapping(t));
  }

  private static String text(com.fasterxml.jackson.databind.JsonNode node, String field) {
    com.fasterxml.jackson.databind.JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}

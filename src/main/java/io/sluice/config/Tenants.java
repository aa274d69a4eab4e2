package io.sluice.config;

/** Tenant names every part agrees on. */
public final class Tenants {

  /**
   * The tenant of whatever names none: a service written without a tenant (PostgreSQL fills it in, see
   * V6__tenancy.sql), and every route of a node that serves a routes file without PostgreSQL.
   */
  public static final String DEFAULT = "default";

  /** Why a name of that form is refused, for the field that carries it. */
  public static final String NAME_LIKE_ID = IdFormNames.reason("tenant");

  private Tenants() {}

  /**
   * Whether {@code name} has the form of a tenant id. Such a name is refused wherever a tenant is named into
   * being: a reference to a tenant is its name or its id, and a name that is another tenant's id would make
   * one reference name two tenants.
   */
  public static boolean looksLikeId(String name) {
    return IdFormNames.looksLikeId(name);
  }

  /**
   * Why {@code name} cannot name a new tenant (or a tenant renamed), or null: of the form of an id, not in Unicode
   * NFKC form (a full-width 'ｂｅｔａ' would stand beside 'beta'), or beginning or ending with white space. Names are
   * also unique whatever their case, which PostgreSQL holds (V21__tenant_names_normalized.sql).
   */
  public static String problem(String name) {
    if (name == null) {
      return null;
    }
    if (looksLikeId(name)) {
      return NAME_LIKE_ID;
    }
    if (!java.text.Normalizer.isNormalized(name, java.text.Normalizer.Form.NFKC)) {
      return "must be in Unicode NFKC form (write '" + java.text.Normalizer.normalize(name,
          java.text.Normalizer.Form.NFKC) + "'): names that only look alike would name different tenants";
    }
    if (!name.strip().equals(name)) {
      return "must not begin or end with white space";
    }
    return null;
  }

  /**
   * Each tenant a file's services, consumers and tenants list name into being whose name is refused ({@link
   * #problem}), a tenant listed twice, and each host name of the list that {@link #checkHosts} refuses.
   */
  public static java.util.List<FieldError> inFile(GatewayConfig config) {
    java.util.List<FieldError> errors = new java.util.ArrayList<>();
    for (int i = 0; i < config.services().size(); i++) {
      String why = problem(config.services().get(i).tenant());
      if (why != null) {
        errors.add(new FieldError("services[" + i + "].tenant", why));
      }
    }
    for (int i = 0; config.hasConsumers() && i < config.consumers().size(); i++) {
      String why = problem(config.consumers().get(i).tenant());
      if (why != null) {
        errors.add(new FieldError("consumers[" + i + "].tenant", why));
      }
    }
    java.util.Set<String> listed = new java.util.HashSet<>();
    for (int i = 0; config.hasTenants() && i < config.tenants().size(); i++) {
      TenantEntry t = config.tenants().get(i);
      if (t == null || t.name() == null) {
        continue; // the schema refused it
      }
      String why = problem(t.name());
      if (why != null) {
        errors.add(new FieldError("tenants[" + i + "].name", why));
      } else if (!listed.add(t.name().toLowerCase(java.util.Locale.ROOT))) {
        errors.add(new FieldError("tenants[" + i + "].name", "tenant '" + t.name() + "' is listed twice (names are"
            + " unique whatever their case)"));
      }
      errors.addAll(checkHosts(t.hosts(), "tenants[" + i + "]."));
    }
    return errors;
  }

  /**
   * The host names assigned to a tenant ({@code hosts} of {@code doc}, already of the schema's shape), put in lower
   * case in place (how they are stored and compared); an error for each that is an IP address, named
   * {@code at}{@code hosts[i]} ({@link ServerNames#problem}: no TLS client sends one, and no route host is one).
   */
  public static java.util.List<FieldError> checkHosts(com.fasterxml.jackson.databind.JsonNode doc, String at) {
    if (!(doc.get("hosts") instanceof com.fasterxml.jackson.databind.node.ArrayNode hosts)) {
      return java.util.List.of();
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    for (int i = 0; i < hosts.size(); i++) {
      names.add(hosts.get(i).asText().toLowerCase(java.util.Locale.ROOT));
      hosts.set(i, names.get(i));
    }
    return checkHosts(names, at);
  }

  /** {@link #checkHosts(com.fasterxml.jackson.databind.JsonNode, String)} of names already in lower case. */
  public static java.util.List<FieldError> checkHosts(java.util.List<String> hosts, String at) {
    java.util.List<FieldError> errors = new java.util.ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < hosts.size(); i++) {
      String host = hosts.get(i);
      String why = host == null ? "must be a host name" : ServerNames.problem(host);
      if (why != null) {
        errors.add(new FieldError(at + "hosts[" + i + "]", why));
      } else if (!seen.add(host)) {
        errors.add(new FieldError(at + "hosts[" + i + "]", "'" + host + "' is named twice (names are compared in"
            + " lower case)"));
      }
    }
    return errors;
  }

  /** The tenant a service belongs to: its own, or the default one. */
  public static String of(String tenant) {
    return tenant == null || tenant.isEmpty() ? DEFAULT : tenant;
  }
}

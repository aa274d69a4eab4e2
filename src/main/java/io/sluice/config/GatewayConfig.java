package io.sluice.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Comparator;
import java.util.List;

/**
 * One whole, validated configuration: the content of a declarative file. Routes are written last, so that a
 * route appended to an exported YAML file lands in their list. {@code consumers} is null when the file has no
 * consumers key at all: such a file (written before consumers were in it) leaves consumers, their credentials
 * and consumer-scoped plugins alone, while {@code consumers: []} deletes them; {@code certificates} likewise.
 */
@JsonPropertyOrder({"format_version", "tenants", "certificates", "services", "consumers", "plugins", "routes"})
public record GatewayConfig(@JsonProperty("format_version") int formatVersion, List<ServiceDef> services,
                            List<RouteDef> routes, List<PluginEntry> plugins, List<ConsumerEntry> consumers,
                            List<CertificateEntry> certificates, List<TenantEntry> tenants) {

  @JsonCreator
  public GatewayConfig(@JsonProperty("format_version") int formatVersion,
                       @JsonProperty("services") List<ServiceDef> services,
                       @JsonProperty("routes") List<RouteDef> routes,
                       @JsonProperty("plugins") List<PluginEntry> plugins,
                       @JsonProperty("consumers") List<ConsumerEntry> consumers,
                       @JsonProperty("certificates") List<CertificateEntry> certificates,
                       @JsonProperty("tenants") List<TenantEntry> tenants) {
    this.formatVersion = formatVersion;
    this.services = services;
    this.routes = routes;
    this.plugins = plugins;
    this.consumers = consumers;
    this.certificates = certificates;
    this.tenants = tenants;
  }

  /** A configuration that leaves the tenants' host names alone. */
  public GatewayConfig(int formatVersion, List<ServiceDef> services, List<RouteDef> routes,
                       List<PluginEntry> plugins, List<ConsumerEntry> consumers,
                       List<CertificateEntry> certificates) {
    this(formatVersion, services, routes, plugins, consumers, certificates, null);
  }

  /**
   * The tenants with host names assigned, or null when the file has no tenants key: such a file leaves every
   * tenant's host names alone, while with the key a tenant it does not list has none assigned.
   */
  @Override
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public List<TenantEntry> tenants() {
    return tenants;
  }

  /** The plugins; a file without the key has none (an operator's file removes every plugin it does not list). */
  @Override
  public List<PluginEntry> plugins() {
    return plugins == null ? List.of() : plugins;
  }

  /** Whether the file has a plugins key (maybe empty): a tenant token's file may not, not even an empty one. */
  @JsonIgnore
  public boolean hasPlugins() {
    return plugins != null;
  }

  /** The same configuration as from a file without a plugins key (none, as with {@code plugins: []}). */
  public GatewayConfig withoutPluginsKey() {
    return new GatewayConfig(formatVersion, services, routes, null, consumers, certificates, tenants);
  }

  /** Whether the file manages the tenants' host names (it has a tenants key, maybe empty). */
  @JsonIgnore
  public boolean hasTenants() {
    return tenants != null;
  }

  /** The same configuration with {@code tenants} (null: none, the key left out). */
  public GatewayConfig withTenants(List<TenantEntry> tenants) {
    return new GatewayConfig(formatVersion, services, routes, plugins, consumers, certificates, tenants);
  }

  /** A configuration that leaves certificates alone. */
  public GatewayConfig(int formatVersion, List<ServiceDef> services, List<RouteDef> routes,
                       List<PluginEntry> plugins, List<ConsumerEntry> consumers) {
    this(formatVersion, services, routes, plugins, consumers, null);
  }

  @Override
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public List<CertificateEntry> certificates() {
    return certificates;
  }

  /** Whether the file manages certificates (it has a certificates key, maybe empty). */
  @JsonIgnore
  public boolean hasCertificates() {
    return certificates != null;
  }

  @Override
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public List<ConsumerEntry> consumers() {
    return consumers;
  }

  /** Whether the file manages consumers (it has a consumers key, maybe empty). */
  @JsonIgnore
  public boolean hasConsumers() {
    return consumers != null;
  }

  /** A configuration that leaves consumers alone. */
  public GatewayConfig(int formatVersion, List<ServiceDef> services, List<RouteDef> routes,
                       List<PluginEntry> plugins) {
    this(formatVersion, services, routes, plugins, null);
  }

  /** A configuration without plugins that leaves consumers alone. */
  public GatewayConfig(int formatVersion, List<ServiceDef> services, List<RouteDef> routes) {
    this(formatVersion, services, routes, List.of(), null);
  }

  /**
   * The file's order of consumers: by {@link ConsumerEntry#key} (tenant/username) code point by code point, which
   * is how PostgreSQL's "C" collation orders the same strings in UTF-8, so that an export streamed from the
   * database in that order is the one this class sorts to. ({@code String.compareTo} differs for characters past
   * U+FFFF.)
   */
  public static final Comparator<ConsumerEntry> CONSUMER_ORDER =
      Comparator.comparing(ConsumerEntry::key, GatewayConfig::byCodePoint);

  private static int byCodePoint(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int x = a.codePointAt(i);
      int y = b.codePointAt(j);
      if (x != y) {
        return Integer.compare(x, y);
      }
      i += Character.charCount(x);
      j += Character.charCount(y);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }

  /**
   * The same configuration in the export's stable order: services and routes by name, consumers by tenant and
   * username (their credentials by reference and issuer), plugins by scope, target and policy, certificates by
   * name (their SNIs sorted), tenants by name. The same
   * configuration therefore always exports the same bytes, whatever order its entities were created in.
   */
  public GatewayConfig sorted() {
    return new GatewayConfig(formatVersion,
        services.stream().sorted(Comparator.comparing(ServiceDef::name)).toList(),
        routes.stream().sorted(Comparator.comparing(RouteDef::name)).toList(),
        plugins().stream().sorted(Comparator.comparing(PluginEntry::scope).thenComparing(PluginEntry::target)
            .thenComparing(PluginEntry::name)).toList(),
        consumers == null ? null
            : consumers.stream().map(ConsumerEntry::sorted).sorted(CONSUMER_ORDER).toList(),
        certificates == null ? null : certificates.stream().map(CertificateEntry::sorted)
            .sorted(Comparator.comparing(CertificateEntry::name)).toList(),
        tenants == null ? null : tenants.stream().sorted(Comparator.comparing(TenantEntry::name,
            GatewayConfig::byCodePoint)).toList());
  }
}

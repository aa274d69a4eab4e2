package io.sluice.config;

import java.util.Locale;

/**
 * The kinds of configuration entity, each with its table: the change log names a changed row by table and
 * id, and the cluster maps and bus messages name an entity by {@link EntityKey}.
 */
public enum EntityType {
  TENANT("tenants"),
  SERVICE("services"),
  ROUTE("routes"),
  CONSUMER("consumers"),
  CREDENTIAL("credentials"),
  PLUGIN("plugins"),
  CERTIFICATE("certificates"),
  SNI("snis");

  private final String table;

  EntityType(String table) {
    this.table = table;
  }

  /** The table that holds this kind (and the change log's entity column for it). */
  public String table() {
    return table;
  }

  /** How errors and reports call one: service, route, plugin, ... */
  public String noun() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether nodes hold every entity of this kind in memory (the route table is built from them). */
  public boolean routing() {
    return this == SERVICE || this == ROUTE || this == PLUGIN;
  }

  /** Whether this kind configures the proxy's TLS listener (certificates and the server names they answer). */
  public boolean tls() {
    return this == CERTIFICATE || this == SNI;
  }

  /** Whether every node holds every entity of this kind in memory (routing and TLS), through the cluster maps. */
  public boolean held() {
    return routing() || tls();
  }

  /** The type whose table is {@code table}; IllegalArgumentException for any other name. */
  public static EntityType ofTable(String table) {
    for (EntityType t : values()) {
      if (t.table.equals(table)) {
        return t;
      }
    }
    throw new IllegalArgumentException("no configuration table " + table);
  }
}

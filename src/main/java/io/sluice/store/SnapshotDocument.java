package io.sluice.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.DeclarativeConfig;
import io.sluice.config.PluginDef;
import java.io.IOException;
import java.util.List;

/**
 * The rows of a snapshot in the declarative file's shape: PostgreSQL assembles each service and route as a
 * JSON object with the file's keys (their one projection), and the result goes through the same validation as conf/routes.yaml,
 * so a snapshot yields exactly the records a file with the same content would.
 */
record SnapshotDocument(long version, List<String> services, List<String> routes, List<String> plugins) {

  SnapshotDocument(long version, List<String> services, List<String> routes) {
    this(version, services, routes, List.of());
  }

  /** Every enabled plugin, its scope's target by name (consumer by id), in creation order. */
  static final String PLUGINS = "select (jsonb_build_object('id', x.id) || " + PluginSql.DEF + " || "
      + PluginSql.TARGET_NAMES + ")::text" + PluginSql.FROM + " where x.enabled order by x.created_at, x.id";

  /** One declarative service object per row, in creation order; absent tenant and null keys left out. */
  static final String SERVICES = "select " + ServiceSql.DEF + "::text" + ServiceSql.FROM + " order by x.seq";

  /** One declarative route object per row, in creation order (the route table's last tie-break). */
  static final String ROUTES = "select (" + RouteSql.DEF + " || " + RouteSql.SERVICE_NAME + ")::text" + RouteSql.FROM
      + " order by x.seq";

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
    List<PluginDef> defs = new java.util.ArrayList<>(plugins.size());
    for (String json : plugins) {
      com.fasterxml.jackson.databind.JsonNode p = JSON.readTree(json);
      defs.add(new PluginDef(p.path("id").asText(), p.path("name").asText(), p.path("scope").asText(),
          text(p, "service"), text(p, "route"), text(p, "consumer"), p.path("config")));
    }
    return new Snapshot(version, DeclarativeConfig.fromTree(doc), defs);
  }

  private static String text(com.fasterxml.jackson.databind.JsonNode node, String field) {
    com.fasterxml.jackson.databind.JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}

package io.sluice.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Completes the document's operations from what the admin API does, so that the two cannot differ: the query
 * parameters each takes ({@link QueryParams}; {@code wait} and {@code timeout} on every write that makes a version
 * were declared by none, so a generated client could not send them), 415 on every operation that takes a body and
 * 428 on every one that requires {@code If-Match}.
 */
final class OpenApiOperations {

  private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");
  /** The component (components.parameters) that describes a query parameter an operation takes but does not list. */
  private static final Map<String, String> COMPONENTS = Map.of("wait", "wait", "timeout", "timeout", "limit", "limit",
      "cursor", "cursor", "tenant", "tenant", MetricsRoute.NAMES, "metricNames");
  private static final String PARAMETERS = "#/components/parameters/";

  private OpenApiOperations() {}

  static void complete(ObjectNode doc) {
    JsonNode parameters = doc.path("components").path("parameters");
    Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> path = paths.next();
      String concrete = path.getKey().replaceAll("\\{[^}]+}", "x");
      Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields();
      while (ops.hasNext()) {
        Map.Entry<String, JsonNode> m = ops.next();
        if (!METHODS.contains(m.getKey())) {
          continue;
        }
        ObjectNode op = (ObjectNode) m.getValue();
        Set<String> takes = m.getKey().equals("get") ? QueryParams.reads(concrete) : QueryParams.writes(concrete);
        Set<String> declared = queryNames(op, parameters);
        for (String name : takes == null ? Set.<String>of() : new TreeSet<>(takes)) {
          if (name.equals("offset") || declared.contains(name)) {
            continue; // offset: refused by Paging, with the way to page instead
          }
          String component = COMPONENTS.get(name);
          if (component == null || !parameters.has(component)) {
            throw new IllegalStateException(m.getKey() + " " + path.getKey() + " takes ?" + name
                + ", which neither the operation nor a component describes");
          }
          op.withArray("parameters").addObject().put("$ref", PARAMETERS + component);
        }
        ObjectNode responses = (ObjectNode) op.get("responses");
        if (op.has("requestBody") && !responses.has("415")) {
          responses.putObject("415").put("$ref", "#/components/responses/UnsupportedMediaType");
        }
        if (requiresIfMatch(op) && !responses.has("428")) {
          responses.putObject("428").put("$ref", "#/components/responses/PreconditionRequired");
        }
      }
    }
  }

  /** The names of the query parameters an operation lists, inline or by reference. */
  static Set<String> queryNames(JsonNode op, JsonNode components) {
    Set<String> names = new HashSet<>();
    for (JsonNode p : op.path("parameters")) {
      JsonNode param = p.has("$ref") ? components.path(p.get("$ref").asText().substring(PARAMETERS.length())) : p;
      if ("query".equals(param.path("in").asText())) {
        names.add(param.path("name").asText());
      }
    }
    return names;
  }

  private static boolean requiresIfMatch(JsonNode op) {
    for (JsonNode p : op.path("parameters")) {
      if ((PARAMETERS + "ifMatch").equals(p.path("$ref").asText())) {
        return true;
      }
    }
    return false;
  }
}

package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.util.ConnectionHeaders;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The header names a policy that writes headers may not touch, checked when the plugin is written (and when a
 * row written with psql is read): a hop-by-hop header, Content-Length or Host in any operation of
 * request-transformer or response-transformer (remove, rename from or to, replace, add), or as correlation-id's
 * {@code header_name}, is refused with the field that names it, so that no configuration can send both
 * framings, or a connection option, across the proxy.
 */
final class ConnectionHeaderChecks {

  private static final String[] OPERATIONS = {"remove", "rename", "replace", "add"};

  private ConnectionHeaderChecks() {}

  static boolean applies(String policy) {
    return policy.equals("request-transformer") || policy.equals("response-transformer")
        || policy.equals("correlation-id");
  }

  /** Every refused name in {@code config} (already valid against the policy's schema). */
  static List<FieldError> check(String policy, JsonNode config, String prefix) {
    List<FieldError> errors = new ArrayList<>();
    if (policy.equals("correlation-id")) {
      // The schema's default is X-Correlation-ID: only a name written in the row can be refused.
      JsonNode name = config.path("header_name");
      if (name.isTextual()) {
        refuse(errors, prefix + "config.header_name", name.asText(), "");
      }
      return errors;
    }
    for (String op : OPERATIONS) {
      JsonNode headers = config.path(op).path("headers");
      String at = prefix + "config." + op + ".headers";
      if (headers.isArray()) {
        for (int i = 0; i < headers.size(); i++) {
          refuse(errors, at + "[" + i + "]", headers.get(i).asText(), "");
        }
      } else if (headers.isObject()) {
        Iterator<Map.Entry<String, JsonNode>> it = headers.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          refuse(errors, at + "." + e.getKey(), e.getKey(), "");
          if (op.equals("rename")) {
            refuse(errors, at + "." + e.getKey(), e.getValue().asText(), "renames to ");
          }
        }
      }
    }
    return errors;
  }

  private static void refuse(List<FieldError> errors, String field, String name, String how) {
    String reason = ConnectionHeaders.transformRefusal(name);
    if (reason != null) {
      errors.add(new FieldError(field, how + name + " " + reason));
    }
  }
}

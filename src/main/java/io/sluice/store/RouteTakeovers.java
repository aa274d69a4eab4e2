package io.sluice.store;

import io.sluice.config.FieldError;
import io.sluice.config.RouteClaims;
import io.sluice.config.RouteDef;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The check that a tenant's routes take no other tenant's traffic, in the transaction that writes them (after the
 * version counter is locked, so that two tenants writing at once are checked one after the other). Only the other
 * tenants' routes that could come first are read: those without hosts, those of the same exact hosts, and those
 * with a wildcard host.
 */
final class RouteTakeovers {

  private static final String OTHERS = "select x.hosts, x.paths, x.methods, x.headers, x.priority"
      + " from routes x join services s on s.id = x.service_id join tenants t on t.id = s.tenant_id"
      + " where t.name <> $1 and (cardinality(x.hosts) = 0 or $2 and exists (select 1 from unnest(x.hosts) h"
      + " where lower(h) = any($3) or h like '*.%'))";

  private RouteTakeovers() {
  }

  /**
   * Fails with {@link RouteTakeoverException} when one of {@code written} (each with the field its errors are
   * named under, e.g. {@code routes[2]}, or "" for one route) would take requests a route of another tenant than
   * {@code tenant} serves.
   */
  static Future<Void> refuse(SqlConnection conn, String tenant, Map<String, RouteDef> written) {
    if (written.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> hosts = new ArrayList<>();
    for (RouteDef r : written.values()) {
      if (r.hosts() != null) {
        r.hosts().forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
      }
    }
    return conn.preparedQuery(OTHERS).execute(Tuple.of(tenant, !hosts.isEmpty(), hosts.toArray(new String[0])))
        .compose(rows -> {
          List<RouteClaims.Claim> others = new ArrayList<>(rows.size());
          for (Row row : rows) {
            others.add(RouteClaims.of(other(row)));
          }
          // A file of thousands of routes against thousands of others: compared off the event loop.
          Context context = Vertx.currentContext();
          return context == null ? Future.succeededFuture(compare(written, others))
              : context.executeBlocking(() -> compare(written, others), false);
        })
        .map(refused -> {
          if (!refused.isEmpty()) {
            throw new RouteTakeoverException(refused);
          }
          return null;
        });
  }

  private static List<FieldError> compare(Map<String, RouteDef> written, List<RouteClaims.Claim> others) {
    List<FieldError> refused = new ArrayList<>();
    for (Map.Entry<String, RouteDef> w : written.entrySet()) {
      RouteClaims.Claim claim = RouteClaims.of(w.getValue());
      for (RouteClaims.Claim other : others) {
        String field = claim.takes(other);
        if (field != null) {
          refused.add(new FieldError(w.getKey().isEmpty() ? field : w.getKey() + "." + field, "would take requests"
              + " that a route of another tenant serves (routes of different tenants may not overlap): give the route"
              + " a host of this tenant's own, a path no other tenant's route serves, or ask an operator"));
          break;
        }
      }
    }
    return refused;
  }

  /** One route of {@code written}, named by no field (a single route written through its resource). */
  static Map<String, RouteDef> one(RouteDef route) {
    Map<String, RouteDef> m = new LinkedHashMap<>();
    m.put("", route);
    return m;
  }

  private static RouteDef other(Row row) {
    JsonObject headers = row.getJsonObject(3);
    Map<String, List<String>> h = new LinkedHashMap<>();
    if (headers != null) {
      for (String name : headers.fieldNames()) {
        Object v = headers.getValue(name);
        List<String> values = new ArrayList<>();
        if (v instanceof JsonArray a) {
          a.forEach(x -> values.add(String.valueOf(x)));
        } else if (v != null) {
          values.add(String.valueOf(v));
        }
        h.put(name, values);
      }
    }
    return new RouteDef(null, null, Arrays.asList(row.getArrayOfStrings(0)), Arrays.asList(row.getArrayOfStrings(1)),
        Arrays.asList(row.getArrayOfStrings(2)), h, false, false, row.getInteger(4));
  }
}

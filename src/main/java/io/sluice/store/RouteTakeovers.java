package io.sluice.store;

import io.sluice.config.FieldError;
import io.sluice.config.RouteClaims;
import io.sluice.config.RouteDef;
import io.sluice.config.SniClaims;
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

  /**
   * The SNIs of other tenants' certificates that could serve one of the hosts {@code $2} (the same names, and every
   * wildcard); the operator's certificates (no tenant) serve every tenant and are not counted.
   */
  private static final String OTHER_SNIS = "select s.name from snis s join certificates c on c.id = s.certificate_id"
      + " join tenants t on t.id = c.tenant_id where t.name <> $1 and (s.name = any($2) or s.name like '*.%')";

  /** The hosts of other tenants' routes that an SNI could serve (the same name, under its suffix, every wildcard). */
  private static final String OTHER_HOSTS = "select distinct lower(h) from routes x join services s"
      + " on s.id = x.service_id join tenants t on t.id = s.tenant_id, unnest(x.hosts) h where t.name <> $1"
      + " and (lower(h) = $2 or h like '*.%' or lower(h) like $3)";

  private RouteTakeovers() {
  }

  /**
   * Fails with {@link TakeoverException} when one of {@code written} (each with the field its errors are
   * named under, e.g. {@code routes[2]}, or "" for one route) names no hosts (400), would take requests a route of
   * another tenant than {@code tenant} serves, or names a host whose certificate an SNI of another tenant's
   * certificate would be (409). The caller leaves out the changes that serve nothing the route did not serve
   * before ({@link io.sluice.config.RouteClaims#within}).
   */
  static Future<Void> refuse(SqlConnection conn, String tenant, Map<String, RouteDef> written) {
    if (written.isEmpty()) {
      return Future.succeededFuture();
    }
    List<FieldError> hostless = new ArrayList<>();
    written.forEach((at, r) -> {
      if (r.hosts() == null || r.hosts().isEmpty()) {
        hostless.add(new FieldError((at.isEmpty() ? "" : at + ".") + "hosts", "a route written with a tenant token"
            + " names its hosts: one without hosts serves every host, other tenants' among them (routes without"
            + " hosts are set with an operator token)"));
      }
    });
    if (!hostless.isEmpty()) {
      return Future.failedFuture(TakeoverException.hostsRequired(hostless));
    }
    List<String> hosts = new ArrayList<>();
    for (RouteDef r : written.values()) {
      if (r.hosts() != null) {
        r.hosts().forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
      }
    }
    String[] names = hosts.toArray(new String[0]);
    Future<List<String>> snis = hosts.isEmpty() ? Future.succeededFuture(List.of())
        : conn.preparedQuery(OTHER_SNIS).execute(Tuple.of(tenant, (Object) names)).map(rows -> {
          List<String> out = new ArrayList<>(rows.size());
          rows.forEach(row -> out.add(row.getString(0)));
          return out;
        });
    return snis.compose(others -> {
      List<FieldError> refused = hostsUnder(written, others);
      if (!refused.isEmpty()) {
        throw TakeoverException.routes(refused);
      }
      return conn.preparedQuery(OTHERS).execute(Tuple.of(tenant, !hosts.isEmpty(), names));
    }).compose(rows -> {
      List<RouteClaims.Claim> others = new ArrayList<>(rows.size());
      for (Row row : rows) {
        others.add(RouteClaims.of(other(row)));
      }
      // A file of thousands of routes against thousands of others: compared off the event loop.
      Context context = Vertx.currentContext();
      return context == null ? Future.succeededFuture(compare(written, others))
          : context.executeBlocking(() -> compare(written, others), false);
    }).map(refused -> {
      if (!refused.isEmpty()) {
        throw TakeoverException.routes(refused);
      }
      return null;
    });
  }

  /** The route hosts of {@code written} that one of {@code snis} (other tenants') would serve. */
  private static List<FieldError> hostsUnder(Map<String, RouteDef> written, List<String> snis) {
    List<FieldError> refused = new ArrayList<>();
    for (Map.Entry<String, RouteDef> w : written.entrySet()) {
      List<String> hosts = w.getValue().hosts() == null ? List.of() : w.getValue().hosts();
      for (int i = 0; i < hosts.size(); i++) {
        for (String sni : snis) {
          if (SniClaims.serves(sni, hosts.get(i))) {
            refused.add(new FieldError((w.getKey().isEmpty() ? "" : w.getKey() + ".") + "hosts[" + i + "]",
                "another tenant's certificate is served for this host (an SNI of its own): give the route a host of"
                + " this tenant's own, or ask an operator"));
            break;
          }
        }
      }
    }
    return refused;
  }

  /**
   * Fails with {@link TakeoverException} ({@code sni_conflict}, field {@code name}) when an SNI {@code name} written
   * with a token of {@code tenant} would choose the certificate of a host another tenant's routes serve, or is
   * {@code *}, the certificate of every name no other SNI matches (the operator's to set).
   */
  static Future<Void> refuseSni(SqlConnection conn, String tenant, String name) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("*")) {
      return Future.failedFuture(sni("the SNI * serves every host name that no other SNI matches, other tenants'"
          + " among them: the default certificate is set with an operator token"));
    }
    String suffix = n.startsWith("*.") ? n.substring(1) : n;
    String like = "%" + suffix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    return conn.preparedQuery(OTHER_HOSTS).execute(Tuple.of(tenant, n, like)).map(rows -> {
      for (Row row : rows) {
        if (SniClaims.serves(n, row.getString(0))) {
          throw sni("would choose the certificate of a host that a route of another tenant serves: name a host of"
              + " this tenant's own routes, or ask an operator");
        }
      }
      return null;
    });
  }

  private static TakeoverException sni(String reason) {
    return new TakeoverException(TakeoverException.SNI, "the SNI would choose the certificate of another tenant's"
        + " host; nothing written", List.of(new FieldError("name", reason)));
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

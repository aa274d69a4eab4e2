package io.sluice.store;

import io.sluice.config.FieldError;
import io.sluice.config.NameClaims;
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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks that a tenant's routes and SNIs take no other tenant's traffic nor names, in the transaction that
 * writes them (after the version counter is locked, so that two tenants writing at once are checked one after the
 * other): a name another tenant holds ({@link NameClaims}) is refused, and so is a route over the paths of another
 * tenant's route without hosts (which serves every host, see {@link RouteClaims}). Once the hosts of two tenants'
 * routes hold no name in common, no request can match both, so the routes without hosts are the only ones read; and
 * a route whose hosts all lie within the names assigned to its tenant is not compared even with those (the names
 * are the tenant's: no other tenant's request can come to them). The rules of assigned names for every writer are
 * {@link HostAssignments}'.
 */
final class RouteTakeovers {

  private static final String OTHERS = "select x.hosts, x.paths, x.methods, x.headers, x.priority"
      + " from routes x join services s on s.id = x.service_id join tenants t on t.id = s.tenant_id"
      + " where t.name <> $1 and cardinality(x.hosts) = 0";

  /**
   * The names other tenants than {@code $1} hold (their route hosts and the SNIs of their certificates; the
   * operator's certificates, of no tenant, and the SNI * hold none) that are one of {@code $2} (a written name, a
   * parent of it, or either as *.that) or lie under a written name (LIKE one of {@code $3}, %.name).
   */
  private static final String HELD = "select n from (select lower(h) as n from routes x join services s"
      + " on s.id = x.service_id join tenants t on t.id = s.tenant_id, unnest(x.hosts) h where t.name <> $1"
      + " union select lower(i.name) from snis i join certificates c on c.id = i.certificate_id"
      + " join tenants t on t.id = c.tenant_id where t.name <> $1 and i.name <> '*') held"
      + " where n = any($2) or n like any($3)";

  /** The host names assigned to the tenant named $1 (V23). */
  private static final String ASSIGNED = "select hosts from tenants where name = $1";

  private RouteTakeovers() {
  }

  /**
   * Fails with {@link TakeoverException} when one of {@code written} (each with the field its errors are
   * named under, e.g. {@code routes[2]}, or "" for one route) names no hosts (400), names a host that meets a
   * name another tenant than {@code tenant} holds (409, {@code hosts[i]}), or would take requests that a route
   * of another tenant without hosts serves (409, {@code paths[i]}). The caller leaves out the changes that serve
   * nothing the route did not serve before ({@link RouteClaims#within}).
   */
  static Future<Void> refuse(SqlConnection conn, String tenant, Map<String, RouteDef> written) {
    if (written.isEmpty()) {
      return Future.succeededFuture();
    }
    List<FieldError> hostless = new ArrayList<>();
    Set<String> hosts = new LinkedHashSet<>();
    written.forEach((at, r) -> {
      if (r.hosts() == null || r.hosts().isEmpty()) {
        hostless.add(new FieldError((at.isEmpty() ? "" : at + ".") + "hosts", "a route written with a tenant token"
            + " names its hosts: one without hosts serves every host, other tenants' among them (routes without"
            + " hosts are set with an operator token)"));
      } else {
        hosts.addAll(r.hosts());
      }
    });
    if (!hostless.isEmpty()) {
      return Future.failedFuture(TakeoverException.hostsRequired(hostless));
    }
    Map<String, RouteDef> shared = new LinkedHashMap<>();
    return held(conn, tenant, hosts).compose(others -> {
      List<FieldError> refused = hostsHeld(written, others);
      if (!refused.isEmpty()) {
        throw TakeoverException.routes(refused);
      }
      return conn.preparedQuery(ASSIGNED).execute(Tuple.of(tenant));
    }).compose(assigned -> {
      // A route whose hosts all lie within names assigned to its tenant serves no host another tenant may have:
      // other tenants' routes without hosts (an operator's catch-all) cannot lose a request to it.
      List<String> own = assigned.size() == 0 ? List.of()
          : Arrays.asList(assigned.iterator().next().getArrayOfStrings(0));
      written.forEach((at, r) -> {
        if (own.isEmpty() || !r.hosts().stream().allMatch(h -> NameClaims.within(h, own))) {
          shared.put(at, r);
        }
      });
      return shared.isEmpty() ? Future.<Iterable<Row>>succeededFuture(List.of())
          : conn.preparedQuery(OTHERS).execute(Tuple.of(tenant)).map(rows -> (Iterable<Row>) rows);
    }).compose(rows -> {
      List<RouteClaims.Claim> others = new ArrayList<>();
      for (Row row : rows) {
        others.add(RouteClaims.of(other(row)));
      }
      // A file of thousands of routes against thousands of others: compared off the event loop.
      Context context = Vertx.currentContext();
      return context == null ? Future.succeededFuture(compare(shared, others))
          : context.executeBlocking(() -> compare(shared, others), false);
    }).map(refused -> {
      if (!refused.isEmpty()) {
        throw TakeoverException.routes(refused);
      }
      return null;
    });
  }

  /**
   * The names other tenants than {@code tenant} hold that may meet one of {@code names} (the caller makes sure with
   * {@link NameClaims#meet}).
   */
  static Future<List<String>> held(SqlConnection conn, String tenant, Collection<String> names) {
    return conn.preparedQuery(HELD).execute(near(tenant, names)).map(RouteTakeovers::first);
  }

  /**
   * {@code first} with the names whose holdings may meet one of {@code names}: one of them, a parent, or either as
   * *.that ($2), or under one (LIKE one of $3, %.name).
   */
  static Tuple near(Object first, Collection<String> names) {
    Set<String> atOrAbove = new LinkedHashSet<>();
    Set<String> under = new LinkedHashSet<>();
    for (String name : names) {
      atOrAbove.addAll(NameClaims.atOrAbove(name));
      String root = NameClaims.root(name);
      if (root != null) {
        under.add("%." + root.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"));
      }
    }
    return Tuple.of(first, atOrAbove.toArray(new String[0]), under.toArray(new String[0]));
  }

  /** The first column of each row. */
  static List<String> first(Iterable<Row> rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(row -> out.add(row.getString(0)));
    return out;
  }

  /** The route hosts of {@code written} that meet a name of {@code others} (other tenants' holdings). */
  private static List<FieldError> hostsHeld(Map<String, RouteDef> written, List<String> others) {
    List<FieldError> refused = new ArrayList<>();
    for (Map.Entry<String, RouteDef> w : written.entrySet()) {
      List<String> hosts = w.getValue().hosts();
      for (int i = 0; i < hosts.size(); i++) {
        String host = hosts.get(i);
        if (others.stream().anyMatch(o -> NameClaims.meet(host, o))) {
          refused.add(new FieldError((w.getKey().isEmpty() ? "" : w.getKey() + ".") + "hosts[" + i + "]",
              "another tenant holds this name, a name it lies under or a name under it (a name's subdomains go with"
              + " it; *.suffix holds the suffix too): give the route a host of this tenant's own, or ask an operator"));
        }
      }
    }
    return refused;
  }

  /**
   * Fails with {@link TakeoverException} ({@code sni_conflict}, field {@code name}) when an SNI {@code name} written
   * with a token of {@code tenant} meets a name another tenant holds (so it would choose the certificate of that
   * tenant's hosts, or hold the names under them), or is {@code *}, the certificate of every name no other SNI
   * matches (the operator's to set).
   */
  static Future<Void> refuseSni(SqlConnection conn, String tenant, String name) {
    if (NameClaims.root(name) == null) {
      return Future.failedFuture(sni("the SNI * serves every host name that no other SNI matches, other tenants'"
          + " among them: the default certificate is set with an operator token"));
    }
    return held(conn, tenant, List.of(name)).map(others -> {
      if (others.stream().anyMatch(o -> NameClaims.meet(name, o))) {
        throw sni("another tenant holds this name, a name it lies under or a name under it (a name's subdomains go"
            + " with it; *.suffix holds the suffix too): name a host of this tenant's own, or ask an operator");
      }
      return null;
    });
  }

  private static TakeoverException sni(String reason) {
    return new TakeoverException(TakeoverException.SNI, "the SNI would choose the certificate of hosts another"
        + " tenant holds; nothing written", List.of(new FieldError("name", reason)));
  }

  private static List<FieldError> compare(Map<String, RouteDef> written, List<RouteClaims.Claim> others) {
    List<FieldError> refused = new ArrayList<>();
    for (Map.Entry<String, RouteDef> w : written.entrySet()) {
      RouteClaims.Claim claim = RouteClaims.of(w.getValue());
      for (RouteClaims.Claim other : others) {
        String field = claim.takes(other);
        if (field != null) {
          refused.add(new FieldError(w.getKey().isEmpty() ? field : w.getKey() + "." + field, "would take requests"
              + " that a route of another tenant serves (a route without hosts, which serves its paths on every host):"
              + " give the route a path no other tenant's route serves, or ask an operator to give that route hosts"));
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

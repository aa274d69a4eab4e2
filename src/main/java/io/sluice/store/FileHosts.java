package io.sluice.store;

import io.sluice.config.CertificateEntry;
import io.sluice.config.GatewayConfig;
import io.sluice.config.RouteDef;
import io.sluice.config.ServiceDef;
import io.sluice.config.Tenants;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The rules of assigned host names ({@link HostAssignments}) over what a declarative file writes, whoever applies
 * it: checked once the file is written, in its transaction, so that the names are those the file leaves (a file
 * may move names from one tenant to another, or assign a tenant the names its routes take): the host names it
 * assigns ({@code tenants[i].hosts[j]}), the routes it creates or widens ({@link ConfigDiff#routesWritten}) or
 * moves to another tenant with their service, and the SNIs it gives a tenant's certificates (or moves with theirs).
 */
final class FileHosts {

  private static final String IDS = "select name, id from tenants where name = any($1)";

  private FileHosts() {
  }

  /** Fails with {@link TakeoverException} at the first kind of name of {@code wanted} the rules refuse. */
  static Future<Void> refuse(SqlConnection conn, ConfigDiff diff, GatewayConfig wanted) {
    Map<String, String> tenantOfService = new HashMap<>();
    for (ServiceDef s : wanted.services()) {
      tenantOfService.put(s.name(), Tenants.of(s.tenant()));
    }
    Map<String, RouteDef> written = diff.routesWritten(wanted);
    Set<String> moved = diff.servicesMoved();
    for (int i = 0; !moved.isEmpty() && i < wanted.routes().size(); i++) {
      if (moved.contains(wanted.routes().get(i).service())) {
        written.put("routes[" + i + "]", wanted.routes().get(i)); // moved with its service: as if written anew
      }
    }
    Map<String, Map<String, RouteDef>> routes = new LinkedHashMap<>();
    written.forEach((at, r) -> routes.computeIfAbsent(tenantOfService.getOrDefault(r.service(),
        Tenants.DEFAULT), t -> new LinkedHashMap<>()).put(at, r));
    Map<String, Map<String, String>> snis = snisWritten(diff.certificates(), wanted);
    Set<String> names = new LinkedHashSet<>(diff.tenantHosts.toSet.keySet());
    names.addAll(routes.keySet());
    names.addAll(snis.keySet());
    if (names.isEmpty()) {
      return Future.succeededFuture();
    }
    return conn.preparedQuery(IDS).execute(Tuple.of(names.toArray(String[]::new))).compose(rows -> {
      Map<String, UUID> ids = new HashMap<>();
      rows.forEach(row -> ids.put(row.getString(0), row.getUUID(1)));
      Future<Void> chain = Future.succeededFuture();
      for (Map.Entry<String, List<String>> t : diff.tenantHosts.toSet.entrySet()) {
        chain = chain.compose(v -> HostAssignments.refuseAssignment(conn, ids.get(t.getKey()), t.getValue(),
            diff.tenantHosts.at.getOrDefault(t.getKey(), "")));
      }
      for (Map.Entry<String, Map<String, RouteDef>> r : routes.entrySet()) {
        chain = chain.compose(v -> HostAssignments.refuseRoutes(conn, ids.get(r.getKey()), r.getValue()));
      }
      for (Map.Entry<String, Map<String, String>> s : snis.entrySet()) {
        for (Map.Entry<String, String> sni : s.getValue().entrySet()) {
          chain = chain.compose(v -> HostAssignments.refuseSni(conn, ids.get(s.getKey()), sni.getValue(),
              sni.getKey()));
        }
      }
      return chain;
    });
  }

  /**
   * The SNIs the file gives a tenant's certificate (created, moved to it, or of a certificate created or updated),
   * by tenant, each under its field ({@code certificates[i].snis[j]}).
   */
  private static Map<String, Map<String, String>> snisWritten(CertificateDiff certs, GatewayConfig wanted) {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    List<CertificateEntry> all = wanted.hasCertificates() ? wanted.certificates() : List.of();
    for (int i = 0; i < all.size(); i++) {
      CertificateEntry c = all.get(i);
      if (c.tenant() == null) {
        continue; // the operator's: holds no name
      }
      boolean whole = certs.toCreate.contains(c) || certs.toUpdate.contains(c);
      for (int j = 0; j < c.snis().size(); j++) {
        String n = c.snis().get(j);
        if (whole || certs.snisToCreate.containsKey(n) || certs.snisToUpdate.containsKey(n)) {
          out.computeIfAbsent(c.tenant(), t -> new LinkedHashMap<>()).put("certificates[" + i + "].snis[" + j + "]", n);
        }
      }
    }
    return out;
  }
}

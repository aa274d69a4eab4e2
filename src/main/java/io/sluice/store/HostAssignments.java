package io.sluice.store;

import io.sluice.config.FieldError;
import io.sluice.config.NameClaims;
import io.sluice.config.RouteDef;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The rules of the host names an operator assigns to a tenant (tenants.hosts, V23), for every writer (a tenant's
 * token or an operator's), in the transaction that writes: a route host or an SNI of a tenant with names assigned
 * is equal to or under one of them ({@link NameClaims#within}; 400 otherwise), and a name that meets a name assigned
 * to another tenant ({@link NameClaims#meet}: on, under or over it) is refused to everyone else (409). Assigning a
 * name is refused while another tenant is assigned one it meets or holds one (a route host or an SNI, 409). What a
 * tenant without names assigned holds, first come first served, is {@link RouteTakeovers}'; the operator's own
 * certificates (of no tenant) hold no name and are not held to these rules.
 */
final class HostAssignments {

  /** The name and assigned host names of the tenant $1 (by id). */
  private static final String OWN = "select name, hosts from tenants where id = $1";

  /** The names assigned to tenants other than $1 (by id) that may meet one of the names of $2 and $3. */
  private static final String ASSIGNED = "select h from tenants t, unnest(t.hosts) h where t.id <> $1"
      + " and (h = any($2) or h like any($3))";

  private static final String OTHERS = "another tenant is assigned this name, a name it lies under or a name under it"
      + " (a name's subdomains go with it; *.suffix holds the suffix too)";

  private HostAssignments() {
  }

  /** A tenant's name and the host names assigned to it (none: empty). */
  record Assigned(String tenant, List<String> hosts) {

    /** The fields of {@code names} ({@code at}{@code [i]}) under no assigned name; none when none are assigned. */
    List<FieldError> outside(String at, List<String> names) {
      List<FieldError> out = new ArrayList<>();
      for (int i = 0; !hosts.isEmpty() && names != null && i < names.size(); i++) {
        if (!NameClaims.within(names.get(i), hosts)) {
          out.add(new FieldError(at + "[" + i + "]", "'" + names.get(i) + "' lies outside the host names assigned"
              + " to this tenant (" + String.join(", ", hosts) + "): its route hosts and SNIs are equal to or under"
              + " one of them; ask an operator to assign the name"));
        }
      }
      return out;
    }
  }

  /** The tenant {@code tenant}'s name and assigned names; null when it does not exist. */
  static Future<Assigned> of(SqlConnection conn, UUID tenant) {
    return conn.preparedQuery(OWN).execute(Tuple.of(tenant)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      return new Assigned(row.getString(0), Arrays.asList(row.getArrayOfStrings(1)));
    });
  }

  /**
   * Fails with {@link TakeoverException} when a route of {@code written} (each under the field it is named by, ""
   * for one route) of tenant {@code tenant} has a host outside the tenant's assigned names (400, {@code hosts[i]}),
   * or one that meets a name assigned to another tenant (409 {@code route_conflict}).
   */
  static Future<Void> refuseRoutes(SqlConnection conn, UUID tenant, Map<String, RouteDef> written) {
    Set<String> hosts = new LinkedHashSet<>();
    written.values().forEach(r -> hosts.addAll(r.hosts() == null ? List.of() : r.hosts()));
    if (hosts.isEmpty()) {
      return Future.succeededFuture();
    }
    return of(conn, tenant).compose(own -> {
      List<FieldError> outside = new ArrayList<>();
      if (own != null) {
        written.forEach((at, r) -> outside.addAll(own.outside(prefix(at) + "hosts", r.hosts())));
      }
      if (!outside.isEmpty()) {
        throw TakeoverException.outsideAssigned(outside);
      }
      return assignedToOthers(conn, tenant, hosts);
    }).map(others -> {
      List<FieldError> refused = new ArrayList<>();
      written.forEach((at, r) -> meeting(prefix(at) + "hosts", r.hosts(), others, OTHERS
          + ": give the route a host of this tenant's own, or ask an operator", refused));
      if (!refused.isEmpty()) {
        throw TakeoverException.routes(refused);
      }
      return null;
    });
  }

  /**
   * Fails with {@link TakeoverException} when the SNI {@code name} of a certificate of {@code tenant} (null: the
   * operator's, of no tenant, not checked) lies outside the tenant's assigned names (400) or meets a name assigned
   * to another tenant (409 {@code sni_conflict}); named {@code field}.
   */
  static Future<Void> refuseSni(SqlConnection conn, UUID tenant, String name, String field) {
    if (tenant == null || NameClaims.root(name) == null) {
      return Future.succeededFuture();
    }
    return of(conn, tenant).compose(own -> {
      List<FieldError> outside = own == null ? List.of() : own.outside(field, List.of(name));
      if (!outside.isEmpty()) {
        throw TakeoverException.outsideAssigned(List.of(new FieldError(field, outside.get(0).reason())));
      }
      return assignedToOthers(conn, tenant, List.of(name));
    }).map(others -> {
      if (others.stream().anyMatch(o -> NameClaims.meet(name, o))) {
        throw new TakeoverException(TakeoverException.SNI, "the SNI would choose the certificate of hosts assigned"
            + " to another tenant; nothing written", List.of(new FieldError(field, OTHERS
            + ": name a host of this tenant's own, or ask an operator")));
      }
      return null;
    });
  }

  /**
   * Fails with {@link TakeoverException} ({@code host_conflict}, fields {@code at}{@code hosts[i]}) when a name of
   * {@code hosts}, being assigned to {@code tenant}, meets a name assigned to another tenant, or a route host or SNI
   * of another tenant's.
   */
  static Future<Void> refuseAssignment(SqlConnection conn, UUID tenant, List<String> hosts, String at) {
    if (hosts.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> near = new ArrayList<>();
    return assignedToOthers(conn, tenant, hosts).compose(assigned -> {
      near.addAll(assigned);
      return of(conn, tenant);
    }).compose(own -> RouteTakeovers.held(conn, own.tenant(), hosts)).map(held -> {
      near.addAll(held);
      List<FieldError> refused = new ArrayList<>();
      meeting(at + "hosts", hosts, near, "another tenant is assigned or holds (a route host or an SNI) this name, a"
          + " name it lies under or a name under it: move or delete that tenant's first", refused);
      if (!refused.isEmpty()) {
        throw new TakeoverException(TakeoverException.HOSTS, refused.size() + " host name(s) another tenant is"
            + " assigned or holds; nothing written", refused);
      }
      return null;
    });
  }

  /**
   * The names assigned to two tenants at once (on, under or over each other), which the admin API and a file refuse
   * but psql can write: an error on each side ({@code tenants[i].hosts[j]}, in the order of {@code tenants}, a file's
   * {@code tenants} list), naming the other tenant and its name. While they stay, neither tenant gets a new route
   * host or SNI on the names they share (each is refused as another tenant's assignment, 409); routes and SNIs
   * already stored serve as before (assigned names decide writes, never the routing). The export names them (409
   * stored_config_invalid).
   */
  static List<FieldError> overlapping(List<io.sluice.config.TenantEntry> tenants) {
    List<FieldError> out = new ArrayList<>();
    for (int i = 0; i < tenants.size(); i++) {
      for (int j = 0; j < tenants.size(); j++) {
        if (i == j) {
          continue;
        }
        List<String> mine = tenants.get(i).hosts();
        List<String> theirs = tenants.get(j).hosts();
        for (int h = 0; h < mine.size(); h++) {
          for (String other : theirs) {
            if (NameClaims.meet(mine.get(h), other)) {
              out.add(new FieldError("tenants[" + i + "].hosts[" + h + "]", "'" + mine.get(h) + "' meets '" + other
                  + "', assigned to tenant '" + tenants.get(j).name() + "' too (written with psql?): neither tenant"
                  + " gets new route hosts or SNIs on it until an operator takes it from one of them"));
              break;
            }
          }
        }
      }
    }
    return out;
  }

  private static Future<List<String>> assignedToOthers(SqlConnection conn, UUID tenant, Collection<String> names) {
    return conn.preparedQuery(ASSIGNED).execute(RouteTakeovers.near(tenant, names))
        .map((RowSet<Row> rows) -> RouteTakeovers.first(rows));
  }

  /** Adds a field ({@code at}{@code [i]}) for each of {@code names} that meets one of {@code others}. */
  private static void meeting(String at, List<String> names, List<String> others, String reason,
                              List<FieldError> out) {
    for (int i = 0; names != null && i < names.size(); i++) {
      String name = names.get(i);
      if (others.stream().anyMatch(o -> NameClaims.meet(name, o))) {
        out.add(new FieldError(at + "[" + i + "]", reason));
      }
    }
  }

  private static String prefix(String at) {
    return at.isEmpty() ? "" : at + ".";
  }
}

package io.sluice.store;

import io.sluice.config.FieldError;
import io.sluice.config.RouteDef;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A service or a certificate moved to another tenant takes its routes or SNIs along: they are held to the names
 * assigned to the tenant they move to, and to those of the others ({@link HostAssignments}), as if written anew,
 * so that a move is no way around them. A refusal names the field that moves them ({@code tenant}, or the file's
 * {@code services[i].tenant}), with the route or SNI and why.
 */
final class HostMoves {

  private static final String ROUTES = "select s.tenant_id, x.name, x.hosts from services s"
      + " join routes x on x.service_id = s.id where s.id = $1 order by x.name";
  private static final String SNIS = "select c.tenant_id, x.name from certificates c"
      + " join snis x on x.certificate_id = c.id where c.id = $1 and c.tenant_id is not null order by x.name";

  private HostMoves() {
  }

  /** Fails with {@link TakeoverException} when a route of the service {@code service} breaks the rules there. */
  static Future<Void> refuseService(SqlConnection conn, UUID service, String field) {
    return conn.preparedQuery(ROUTES).execute(Tuple.of(service)).compose(rows -> {
      Map<String, RouteDef> routes = new LinkedHashMap<>();
      UUID tenant = null;
      for (Row row : rows) {
        tenant = row.getUUID(0);
        routes.put("route '" + row.getString(1) + "'", new RouteDef(row.getString(1), null,
            Arrays.asList(row.getArrayOfStrings(2)), List.of(), List.of(), Map.of(), false, false, 0));
      }
      return routes.isEmpty() ? Future.<Void>succeededFuture()
          : HostAssignments.refuseRoutes(conn, tenant, routes).recover(err -> Future.failedFuture(as(err, field)));
    });
  }

  /** Fails with {@link TakeoverException} when an SNI of the certificate {@code certificate} breaks the rules there. */
  static Future<Void> refuseCertificate(SqlConnection conn, UUID certificate, String field) {
    return conn.preparedQuery(SNIS).execute(Tuple.of(certificate)).compose(rows -> {
      Future<Void> chain = Future.succeededFuture();
      for (Row row : rows) {
        chain = chain.compose(v -> HostAssignments.refuseSni(conn, row.getUUID(0), row.getString(1),
            "sni '" + row.getString(1) + "'"));
      }
      return chain.recover(err -> Future.failedFuture(as(err, field)));
    });
  }

  /** {@code err} with its fields told under {@code field}, the field that moved them. */
  private static Throwable as(Throwable err, String field) {
    if (!(err instanceof TakeoverException t)) {
      return err;
    }
    List<FieldError> fields = t.fields().stream().map(f -> new FieldError(field, "moves " + f.field() + " to a"
        + " tenant where " + f.reason())).toList();
    return t.status() == 400 ? TakeoverException.outsideAssigned(fields)
        : new TakeoverException(t.code(), t.getMessage(), fields);
  }
}

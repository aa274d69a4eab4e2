package io.sluice.store;

import io.sluice.config.CertificateEntry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Map;

/**
 * The declarative file's writes of certificates (by name, the key already sealed by the admin API) and SNIs (by
 * server name, their certificate by name), inside the caller's transaction.
 */
final class CertificateWrites {

  private static final String TENANT_ID = "(select id from tenants where name = $2::text)";
  /** $1 the document (name, cert, sealed key and what was read from the leaf), $2 the tenant's name. */
  private static final String INSERT = "insert into certificates (" + CertificateSql.COLUMNS + ") select "
      + CertificateSql.VALUES.replace("$2::uuid", TENANT_ID) + Docs.ONE;
  private static final String UPDATE = "update certificates set (" + CertificateSql.COLUMNS + ") = (select "
      + CertificateSql.VALUES.replace("$2::uuid", TENANT_ID) + Docs.ONE + ") where name = $3::text";
  /** $1 the certificate's name, $2 its tenant's name. */
  private static final String MOVE = "update certificates set tenant_id = " + TENANT_ID + " where name = $1::text";
  private static final String DELETE = "delete from certificates where name = any($1::text[])";

  private static final String CERTIFICATE_ID = "(select id from certificates where name = $2::text)";
  private static final String SNI_INSERT = "insert into snis (name, certificate_id) values ($1::text, "
      + CERTIFICATE_ID + ")";
  private static final String SNI_UPDATE = "update snis set certificate_id = " + CERTIFICATE_ID + " where name = $1::text";
  private static final String SNI_DELETE = "delete from snis where name = any($1::text[])";

  private CertificateWrites() {}

  static Future<Void> upsert(SqlConnection conn, CertificateDiff diff) {
    List<Tuple> inserts = diff.toCreate.stream().map(c -> Tuple.of(doc(c), c.tenant())).toList();
    List<Tuple> updates = diff.toUpdate.stream().filter(c -> c.sealed() != null)
        .map(c -> Tuple.of(doc(c), c.tenant(), c.name())).toList();
    List<Tuple> moves = diff.toUpdate.stream().filter(c -> c.sealed() == null)
        .map(c -> Tuple.of(c.name(), c.tenant())).toList();
    return batch(conn, INSERT, inserts).compose(v -> batch(conn, UPDATE, updates))
        .compose(v -> batch(conn, MOVE, moves));
  }

  static Future<Void> deleteSnis(SqlConnection conn, CertificateDiff diff) {
    return diff.snisToDelete.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(SNI_DELETE)
        .execute(Tuple.of(diff.snisToDelete.toArray(String[]::new))).mapEmpty();
  }

  static Future<Void> writeSnis(SqlConnection conn, CertificateDiff diff) {
    return batch(conn, SNI_INSERT, tuples(diff.snisToCreate)).compose(v -> batch(conn, SNI_UPDATE,
        tuples(diff.snisToUpdate)));
  }

  static Future<Void> delete(SqlConnection conn, CertificateDiff diff) {
    return diff.toDelete.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(DELETE)
        .execute(Tuple.of(diff.toDelete.toArray(String[]::new))).mapEmpty();
  }

  private static String doc(CertificateEntry c) {
    CertificateEntry.Sealed s = c.sealed();
    return new JsonObject().put("name", c.name()).put("cert", c.cert()).put("key_enc", s.keyEnc())
        .put("subject", s.subject()).put("names", new JsonArray(s.names())).put("not_after", s.notAfter())
        .put("fingerprint", s.fingerprint()).encode();
  }

  private static List<Tuple> tuples(Map<String, String> snis) {
    return snis.entrySet().stream().map(e -> Tuple.of(e.getKey(), e.getValue())).toList();
  }

  private static Future<Void> batch(SqlConnection conn, String sql, List<Tuple> rows) {
    return rows.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(sql).executeBatch(rows).mapEmpty();
  }
}

package io.sluice.store;

/**
 * A certificate's and an SNI's projections and writes. The admin projection never holds the sealed key; the
 * sync projection (what nodes build their certificate set from) holds it as base64, still sealed. Aliases:
 * {@code x} the certificate (or SNI), {@code c} an SNI's certificate, {@code t} the tenant.
 */
final class CertificateSql {

  /** A certificate as the admin API answers it: no key, sealed or not. */
  static final String DEF = "jsonb_strip_nulls(jsonb_build_object('name', x.name, 'tenant', t.name, 'cert', x.cert,"
      + " 'subject', x.subject, 'names', to_jsonb(x.names), 'not_after', x.not_after, 'fingerprint', x.fingerprint))";

  /** What a node needs to serve it: the chain and the sealed key. */
  static final String SYNC_DEF = "jsonb_build_object('cert', x.cert, 'key_enc', encode(x.key_enc, 'base64'),"
      + " 'fingerprint', x.fingerprint, 'not_after', x.not_after)";

  static final String FROM = " from certificates x left join tenants t on t.id = x.tenant_id";

  static final String COLUMNS = "name, tenant_id, cert, key_enc, subject, names, not_after, fingerprint";

  /**
   * From the checked document {@code d} ($1, with the sealed key as base64 in key_enc) and the tenant's id ($2);
   * a name left out is made on insert and kept on update (V13).
   */
  static final String VALUES = "d->>'name', $2::uuid, d->>'cert', decode(d->>'key_enc', 'base64'), d->>'subject',"
      + " array(select jsonb_array_elements_text(coalesce(d->'names', '[]'))), (d->>'not_after')::timestamptz,"
      + " d->>'fingerprint'";

  static final String INSERT = "insert into certificates (" + COLUMNS + ") select " + VALUES + Docs.ONE
      + " returning id";

  /**
   * $1 the document, $2 the tenant's id, $3 the certificate's id. A row that would not change is not written (no new
   * version): a key sent again is sealed to the same bytes ({@link io.sluice.tls.KeySealer}).
   */
  static final String UPDATE = "update certificates set (" + COLUMNS + ") = (select " + VALUES + Docs.ONE
      + ") where id = $3"
      // A document without a name keeps the stored one (V14): compared so, it is no change.
      + Docs.changesSomething(COLUMNS, VALUES.replace("d->>'name'", "coalesce(d->>'name', certificates.name)"));

  static final String FIND = "select id from certificates where id::text = $1";

  static final String SNI_DEF = "jsonb_build_object('name', x.name, 'certificate', x.certificate_id::text)";

  static final String SNI_FROM = " from snis x join certificates c on c.id = x.certificate_id"
      + " left join tenants t on t.id = c.tenant_id";

  /** $1 the document, $2 the certificate's id. */
  static final String SNI_INSERT = "insert into snis (name, certificate_id) select lower(d->>'name'), $2::uuid"
      + Docs.ONE + " returning id";

  /** $1 the document, $2 the certificate's id, $3 the SNI's id. */
  static final String SNI_UPDATE = "update snis set (name, certificate_id) = (select lower(d->>'name'), $2::uuid"
      + Docs.ONE + ") where id = $3";

  private CertificateSql() {}
}

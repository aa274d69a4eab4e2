package io.sluice.store;

/**
 * Certificates in the declarative file's shape, by name: tenant, PEM chain, the stored private key by reference
 * ({@code sha256:} of its sealed form, the history's key_ref; never the key) and the SNIs that name it, sorted.
 * Aliases: {@code x} a certificate of the source given to {@link #of} (which has a {@code key_ref} column:
 * {@link #CURRENT} for the stored rows, the rebuilt table for an earlier version), {@code t} its tenant.
 */
final class CertificateFile {

  static final String CURRENT = "(select c.*, 'sha256:' || encode(sha256(c.key_enc), 'hex') as key_ref"
      + " from certificates c)";

  private CertificateFile() {}

  static String of(String certificates) {
    return "select jsonb_strip_nulls(jsonb_build_object('name', x.name, 'tenant', t.name, 'cert', x.cert,"
        + " 'key_ref', x.key_ref, 'snis', coalesce((select jsonb_agg(n.name order by n.name) from snis n"
        + " where n.certificate_id = x.id), '[]')))::text from " + certificates
        + " x left join tenants t on t.id = x.tenant_id order by x.name";
  }
}

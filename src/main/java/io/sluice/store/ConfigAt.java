package io.sluice.store;

import java.util.List;

/**
 * The configuration as it was at an earlier version, rebuilt from the history: a row no version after N
 * changed is as it is now; a row changed after N was as the before image of its first change after N (none:
 * it did not exist at N). The rebuilt tables are common table expressions named like the tables they stand
 * for, so that the snapshot's own queries ({@link SnapshotDocument}) read them unchanged: one projection of
 * rows into the declarative file, whether the rows are current or rebuilt.
 *
 * <p>Credentials are the exception the history's redaction makes: their images hold an API key's digest as its
 * reference (key_ref, turned back into key_digest here) and an HS secret only as a reference (jwt_secret_ref),
 * so the rebuilt credentials carry that reference in a column {@code secret_ref}, as {@link ConsumerFile#CURRENT}
 * does for stored ones: the file names the secret, and applying it needs the secret to exist still. Likewise a
 * certificate's private key ({@code key_ref}, {@link CertificateFile#CURRENT}).
 */
final class ConfigAt {

  /** The tables the declarative file is made of today. */
  static final List<String> TABLES = List.of("tenants", "services", "routes", "plugins", "consumers", "credentials",
      "certificates", "snis");

  /** Versions after $1 the history holds; complete when it is the current version minus $1. */
  static final String KEPT = "select (select version from config_version where id = 1),"
      + " (select count(distinct version) from config_history where version > $1)";

  private ConfigAt() {}

  /** {@code query} (which reads {@link #TABLES}) over those tables as they were at {@code version}. */
  static String of(long version, String query) {
    StringBuilder sql = new StringBuilder("with ");
    for (int i = 0; i < TABLES.size(); i++) {
      String t = TABLES.get(i);
      boolean credentials = t.equals("credentials");
      boolean certificates = t.equals("certificates");
      // A certificate's image from before V14 has no name: the one V14 gave it.
      String image = credentials ? "h.before || jsonb_build_object('key_digest',"
          + " '\\x' || substr(h.before->>'key_ref', 13))"
          : certificates ? "h.before || jsonb_build_object('name', coalesce(h.before->>'name',"
          + " 'cert-' || left(replace(h.id::text, '-', ''), 12)))" : "h.before";
      sql.append(i == 0 ? "" : ", ").append(t).append(" as (select x.*")
          .append(credentials ? ", 'sha256:' || encode(sha256(x.jwt_secret_enc), 'hex') as secret_ref" : "")
          .append(certificates ? ", 'sha256:' || encode(sha256(x.key_enc), 'hex') as key_ref" : "")
          .append(" from public.").append(t)
          .append(" x where not exists (select 1 from config_history h where h.entity = '").append(t)
          .append("' and h.id = x.id and h.version > ").append(version).append(")")
          .append(" union all select (jsonb_populate_record(null::public.").append(t).append(", ").append(image)
          .append(")).*").append(credentials ? ", h.before->>'jwt_secret_ref'" : "")
          .append(certificates ? ", h.before->>'key_ref'" : "")
          .append(" from (select distinct on (id) id, before from config_history where entity = '").append(t)
          .append("' and version > ").append(version).append(" order by id, version) h")
          .append(" where h.before is not null)");
    }
    return sql.append(' ').append(query).toString();
  }
}

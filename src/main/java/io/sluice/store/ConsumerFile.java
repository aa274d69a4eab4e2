package io.sluice.store;

import io.sluice.config.ConsumerFields;
import io.sluice.credential.JwtKeys;

/**
 * Consumers in the declarative file's shape, one JSON object per consumer with its credentials nested and
 * without their secrets: an API key as its prefix and digest reference ({@code hmac-sha256:} and the digest in
 * hex, the history's key_ref), a JWT credential with its public key or its sealed HS secret's reference
 * ({@code sha256:} of the sealed form, the history's jwt_secret_ref). Aliases: {@code x} the consumer,
 * {@code t} its tenant, {@code k} a credential of the source given to {@link #of}, which has a
 * {@code secret_ref} column: {@link #CURRENT} for the stored rows, the rebuilt table for an earlier version.
 */
final class ConsumerFile {

  /** The stored credentials with the reference of their sealed secret. */
  static final String CURRENT = "(select c.*, 'sha256:' || encode(sha256(c.jwt_secret_enc), 'hex') as secret_ref"
      + " from credentials c)";

  /** The digest reference of an API key (digest bytes in {@code d}). */
  static String keyRef(String d) {
    return "'hmac-sha256:' || encode(" + d + ", 'hex')";
  }

  private ConsumerFile() {}

  /**
   * Every consumer (of tenant $1, its id, when {@code ofTenant}: named by its name now, as
   * {@link SnapshotSql#SERVICES_OF_TENANT} says why), its credentials read from {@code credentials}, in the
   * file's order ({@code GatewayConfig.CONSUMER_ORDER}: tenant/username, code point by code point; keys by
   * reference, JWT credentials by issuer).
   */
  static String of(String credentials, boolean ofTenant) {
    return "select " + doc(credentials) + from(ofTenant) + " order by " + ORDER;
  }

  /** The file's order of consumers (aliases {@code t} and {@code x}). */
  private static final String ORDER = "(t.name || '/' || x.username) collate \"C\"";

  /** A control character a one-line string must not hold ({@code InputStrings}; PostgreSQL holds no NUL). */
  private static final String CONTROL = "'[\\x01-\\x1f\\x7f-\\x9f]'";
  /** The same for a text block (a PEM public key): its line breaks and tabs are allowed. */
  private static final String CONTROL_IN_BLOCK = "'[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]'";

  /**
   * Groups a file refuses: a name outside {@link ConsumerFields#GROUP_PATTERN} (a comma inside one, say), more than
   * {@link ConsumerFields#GROUPS_MAX} of them, or one twice (the schema's uniqueItems).
   */
  private static final String GROUPS_REFUSED = "exists (select 1 from unnest(x.groups) g where g is null or g !~ '"
      + ConsumerFields.GROUP_PATTERN + "') or cardinality(x.groups) > " + ConsumerFields.GROUPS_MAX
      + " or cardinality(x.groups) > (select count(distinct g) from unnest(x.groups) g)";

  /** Characters a username or custom_id must not end with ({@link ConsumerFields#space}), as a regex class. */
  private static final String SPACE = regexClass(ConsumerFields::space);
  /** Characters a username or custom_id must not hold ({@link ConsumerFields#invisible}), as a regex class. */
  private static final String INVISIBLE = regexClass(ConsumerFields::invisible);

  /**
   * A username or custom_id out of its one form ({@link ConsumerFields#formProblem}): a space at either end, an
   * invisible character anywhere, or not NFC (PostgreSQL can tell in a UTF8 database only; another cannot store
   * the combining marks that make a name not NFC, SQL_ASCII aside).
   */
  private static final String FORM_REFUSED = formRefused("x.username") + " or " + formRefused("x.custom_id");

  private static String formRefused(String column) {
    return "(" + column + " ~ '^" + SPACE + "|" + SPACE + "$' or " + column + " ~ '" + INVISIBLE + "' or case when"
        + " current_setting('server_encoding') = 'UTF8' then not " + column + " is nfc normalized end)";
  }

  /**
   * The PostgreSQL regex bracket expression of the code points {@code in} holds (NUL aside, which PostgreSQL
   * never stores), built from the predicate Java checks with, so that the export finds exactly what an import
   * refuses whatever Unicode version the JDK's tables have.
   */
  static String regexClass(java.util.function.IntPredicate in) {
    StringBuilder b = new StringBuilder("[");
    for (int c = 1; c <= Character.MAX_CODE_POINT; c++) {
      if (!in.test(c) || Character.getType(c) == Character.SURROGATE) {
        continue;
      }
      int first = c;
      while (c + 1 <= Character.MAX_CODE_POINT && in.test(c + 1)) {
        c++;
      }
      b.append(escape(first));
      if (c > first) {
        b.append('-').append(escape(c));
      }
    }
    return b.append(']').toString();
  }

  private static String escape(int c) {
    return c <= 0xFFFF ? String.format("\\u%04x", c) : String.format("\\U%08x", c);
  }

  /**
   * A JWT credential a file refuses that PostgreSQL now refuses too (V24 and V25, rows written before them): an
   * algorithm outside {@link JwtKeys#ALGORITHMS} (EdDSA), an RS*, PS* or ES* public key that is not PEM, or whose
   * PEM body cannot be a key of its family (V25's sluice_jwt_public_key_problem).
   */
  private static final String JWT_REFUSED = "k.jwt_algorithm not in (" + String.join(", ", JwtKeys.ALGORITHMS.stream()
      .sorted().map(a -> "'" + a + "'").toList()) + ") or (k.jwt_algorithm not like 'HS%' and position("
      + "'-----BEGIN PUBLIC KEY-----' in k.jwt_public_key) = 0)"
      + " or sluice_jwt_public_key_problem(k.jwt_algorithm, k.jwt_public_key) is not null";

  /**
   * The ids of the consumers (of tenant $1 when {@code ofTenant}) whose file object holds what the declarative file
   * refuses, written with psql: a string with a control character ({@code InputStrings}), a group the schema refuses
   * ({@link #GROUPS_REFUSED}), a username or custom_id out of its one form ({@link #FORM_REFUSED}), a JWT credential
   * of an algorithm or key a file refuses ({@link #JWT_REFUSED}); at
   * most {@code limit} of them. Found by PostgreSQL (one pass over the consumers, one over the credentials, no
   * sort), so that an export checks every consumer before its answer starts without holding them.
   */
  static String refused(String credentials, boolean ofTenant, int limit) {
    return "select x.id" + from(ofTenant) + (ofTenant ? " and (" : " where (")
        + "(t.name || x.username || coalesce(x.custom_id, '') || array_to_string(x.groups, ' ')) ~ " + CONTROL
        + " or " + GROUPS_REFUSED + " or " + FORM_REFUSED + ")"
        + " union select x.id from consumers x join " + credentials + " k on k.consumer_id = x.id where "
        + (ofTenant ? "x.tenant_id = $1 and " : "") + "((k.kind = 'api-key' and k.key_prefix ~ " + CONTROL + ")"
        + " or (k.kind = 'jwt' and ((k.jwt_issuer || k.jwt_algorithm) ~ " + CONTROL + " or k.jwt_public_key ~ "
        + CONTROL_IN_BLOCK + " or " + JWT_REFUSED + ")))" + " limit " + limit;
  }

  /**
   * The consumers of ids $2 (of tenant $1 when {@code ofTenant}; else ids $1), each with its place in the file
   * ({@code consumers[i]}) and its object as {@link #of}, in the file's order: what {@link #refused} found, named.
   */
  static String placed(String credentials, boolean ofTenant) {
    return "select f.i, " + doc(credentials) + " from (select x.id, row_number() over (order by " + ORDER
        + ") - 1 as i" + from(ofTenant) + ") f join consumers x on x.id = f.id join "
        + (ofTenant ? "public.tenants" : "tenants") + " t on t.id = x.tenant_id where f.id = any("
        + (ofTenant ? "$2" : "$1") + ") order by f.i";
  }

  private static String doc(String credentials) {
    return "jsonb_strip_nulls(jsonb_build_object('tenant', t.name, 'username', x.username,"
        + " 'custom_id', x.custom_id, 'groups', to_jsonb(x.groups),"
        + " 'keys', coalesce((select jsonb_agg(jsonb_build_object('prefix', k.key_prefix, 'ref', "
        + keyRef("k.key_digest") + ") order by k.key_digest) from " + credentials
        + " k where k.consumer_id = x.id and k.kind = 'api-key'), '[]'),"
        + " 'jwt', coalesce((select jsonb_agg(jsonb_build_object('issuer', k.jwt_issuer, 'algorithm', k.jwt_algorithm,"
        + " 'public_key', k.jwt_public_key, 'secret_ref', k.secret_ref) order by k.jwt_issuer) from " + credentials
        + " k where k.consumer_id = x.id and k.kind = 'jwt'), '[]')))::text";
  }

  private static String from(boolean ofTenant) {
    return ofTenant ? " from consumers x join public.tenants t on t.id = x.tenant_id where x.tenant_id = $1"
        : " from consumers x join tenants t on t.id = x.tenant_id";
  }
}

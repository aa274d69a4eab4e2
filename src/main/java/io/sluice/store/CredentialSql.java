package io.sluice.store;

/**
 * A consumer's credentials, one projection per kind (alias {@code x}) and one write per kind. A secret
 * never leaves the database through a projection: an API key is stored as its digest, a JWT HS* secret
 * sealed.
 */
final class CredentialSql {

  static final String API_KEY = "api-key";
  static final String JWT = "jwt";

  static final String INSERT_API_KEY = "insert into credentials (consumer_id, kind, key_prefix, key_digest)"
      + " values ($1, 'api-key', $2, $3) returning id";
  static final String INSERT_JWT = "insert into credentials (id, consumer_id, kind, jwt_issuer, jwt_algorithm,"
      + " jwt_public_key, jwt_secret_enc) values ($1, $2, 'jwt', $3, $4, $5, $6) returning id";

  private static final String FROM = " from credentials x where x.kind = $2 and x.consumer_id = $1";

  /** $1 the consumer, $2 the kind; callers add the rest. */
  static String select(String kind) {
    return "select " + json(kind) + "::text" + FROM;
  }

  /** {@link #select} with the row's created_at and id after it (what a page of a list is read by). */
  static String list(String kind) {
    return "select " + json(kind) + "::text, x.created_at, x.id" + FROM;
  }

  private static String json(String kind) {
    String fields = API_KEY.equals(kind) ? "'kind', x.kind, 'prefix', x.key_prefix"
        : "'issuer', x.jwt_issuer, 'algorithm', x.jwt_algorithm, 'public_key', x.jwt_public_key";
    return "jsonb_strip_nulls(jsonb_build_object('id', x.id, 'version', x.version,"
        + " 'updated_at', x.updated_at, 'consumer', x.consumer_id, " + fields + "))";
  }

  static final String DELETE = "delete from credentials where id = $1 and consumer_id = $2 and kind = $3"
      + " returning id";

  private CredentialSql() {}
}

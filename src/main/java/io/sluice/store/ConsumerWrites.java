package io.sluice.store;

import io.sluice.config.ConsumerEntry;
import io.sluice.config.ConsumerEntry.JwtEntry;
import io.sluice.config.ConsumerEntry.KeyEntry;
import io.sluice.credential.ApiKeys;
import io.sluice.credential.JwtSecrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The declarative file's writes of consumers and their credentials, inside the caller's transaction, each row
 * found by its consumer's tenant and username ($1, $2). Secrets are made here and nowhere else: a generated API
 * key is digested under keys.hmac_secret and returned once (never stored, never logged); a new HS secret is
 * sealed for its credential's id.
 */
final class ConsumerWrites {

  private static final String CONSUMER_ID = "(select c.id from consumers c join tenants t on t.id = c.tenant_id"
      + " where t.name = $1::text and c.username = $2::text)";
  private static final String GROUPS = "array(select jsonb_array_elements_text(coalesce(d->'groups', '[]')))";

  private static final String INSERT = "insert into consumers (tenant_id, username, custom_id, groups)"
      + " select (select id from tenants where name = $1::text), $2::text, d->>'custom_id', " + GROUPS
      + " from (select $3::text::jsonb d) i";
  private static final String UPDATE = "update consumers set custom_id = d->>'custom_id', groups = " + GROUPS
      + " from (select $3::text::jsonb d) i where consumers.id = " + CONSUMER_ID;
  private static final String DELETE = "delete from consumers where id = " + CONSUMER_ID;

  private static final String INSERT_KEY = "insert into credentials (consumer_id, kind, key_prefix, key_digest)"
      + " values (" + CONSUMER_ID + ", 'api-key', $3::text, decode($4::text, 'hex'))";
  private static final String DELETE_KEY = "delete from credentials where consumer_id = " + CONSUMER_ID
      + " and kind = 'api-key' and key_digest = decode($3::text, 'hex')";

  private static final String INSERT_JWT = "insert into credentials (id, consumer_id, kind, jwt_issuer, jwt_algorithm,"
      + " jwt_public_key, jwt_secret_enc) values ($3::uuid, " + CONSUMER_ID + ", 'jwt', $4::text, $5::text, $6::text,"
      + " $7::bytea)";
  private static final String JWT_ID = "select id from credentials where consumer_id = " + CONSUMER_ID
      + " and kind = 'jwt' and jwt_issuer = $3::text";
  /**
   * $1 the credential, $2 algorithm, $3 public key, $4 the new sealed secret, $5 keep the stored one. Not written
   * when nothing changes: a secret sent again is sealed to the same bytes ({@link JwtSecrets}).
   */
  private static final String UPDATE_JWT = "update credentials set jwt_algorithm = $2::text, jwt_public_key = $3::text,"
      + " jwt_secret_enc = case when $5::boolean then jwt_secret_enc else $4::bytea end where id = $1::uuid"
      + " and (jwt_algorithm, jwt_public_key, jwt_secret_enc) is distinct from"
      + " ($2::text, $3::text, case when $5::boolean then jwt_secret_enc else $4::bytea end)";
  private static final String DELETE_JWT = "delete from credentials where consumer_id = " + CONSUMER_ID
      + " and kind = 'jwt' and jwt_issuer = $3::text";

  /** What a digest reference names: {@code hmac-sha256:} and the digest in hex. */
  private static final String DIGEST_REF = "hmac-sha256:";
  private static final String IMPORTED_PREFIX = "imported";

  private ConsumerWrites() {}

  static Future<Void> insert(SqlConnection conn, List<ConsumerEntry> consumers) {
    return batch(conn, INSERT, consumers.stream().map(c -> Tuple.of(c.tenant(), c.username(), Docs.json(c))).toList());
  }

  static Future<Void> update(SqlConnection conn, List<ConsumerEntry> consumers) {
    return batch(conn, UPDATE, consumers.stream().map(c -> Tuple.of(c.tenant(), c.username(), Docs.json(c))).toList());
  }

  static Future<Void> delete(SqlConnection conn, List<ConsumerEntry> consumers) {
    return batch(conn, DELETE, consumers.stream().map(c -> Tuple.of(c.tenant(), c.username())).toList());
  }

  static Future<Void> deleteCredentials(SqlConnection conn, ConsumerDiff diff) {
    return batch(conn, DELETE_KEY, diff.keysToDelete.stream()
            .map(k -> Tuple.of(k.tenant(), k.username(), hex(k.entry().named()))).toList())
        .compose(v -> batch(conn, DELETE_JWT, diff.jwtToDelete.stream()
            .map(j -> Tuple.of(j.tenant(), j.username(), j.entry().issuer())).toList()));
  }

  /** Creates and updates credentials; answers the keys generated, to be shown once. */
  static Future<List<ConfigDiff.NewKey>> writeCredentials(SqlConnection conn, ConsumerDiff diff, String hmacSecret) {
    List<ConfigDiff.NewKey> generated = new ArrayList<>();
    List<Tuple> keys = new ArrayList<>();
    for (ConsumerDiff.Cred<KeyEntry> k : diff.keysToCreate) {
      KeyEntry e = k.entry();
      if (e.generated()) {
        String key = ApiKeys.generate();
        generated.add(new ConfigDiff.NewKey(k.consumer(), ApiKeys.shown(key), key));
        keys.add(Tuple.of(k.tenant(), k.username(), ApiKeys.shown(key),
            HexFormat.of().formatHex(ApiKeys.digest(key, hmacSecret))));
      } else {
        keys.add(Tuple.of(k.tenant(), k.username(), e.prefix() == null ? IMPORTED_PREFIX : e.prefix(), hex(e.named())));
      }
    }
    List<Tuple> jwts = diff.jwtToCreate.stream().map(j -> {
      UUID id = UUID.randomUUID();
      return Tuple.of(j.tenant(), j.username(), id, j.entry().issuer(), j.entry().algorithm(), j.entry().publicKey())
          .addValue(sealed(j.entry(), id, hmacSecret));
    }).toList();
    return batch(conn, INSERT_KEY, keys).compose(v -> batch(conn, INSERT_JWT, jwts))
        .compose(v -> updateJwt(conn, diff.jwtToUpdate, 0, hmacSecret)).map(v -> generated);
  }

  /** Updates JWT credentials one after the other: a new HS secret is sealed for the credential's own id. */
  private static Future<Void> updateJwt(SqlConnection conn, List<ConsumerDiff.Cred<JwtEntry>> jwts, int i,
                                        String hmacSecret) {
    if (i == jwts.size()) {
      return Future.succeededFuture();
    }
    ConsumerDiff.Cred<JwtEntry> j = jwts.get(i);
    JwtEntry e = j.entry();
    boolean keep = e.secretRef() != null;
    return conn.preparedQuery(JWT_ID).execute(Tuple.of(j.tenant(), j.username(), e.issuer()))
        .compose(rows -> {
          UUID id = rows.iterator().next().getUUID(0);
          return conn.preparedQuery(UPDATE_JWT).execute(Tuple.of(id, e.algorithm(), e.publicKey())
              .addValue(keep ? null : sealed(e, id, hmacSecret)).addBoolean(keep));
        })
        .compose(v -> updateJwt(conn, jwts, i + 1, hmacSecret));
  }

  /** The sealed HS secret of a credential given one in clear (null otherwise). */
  private static Buffer sealed(JwtEntry e, UUID id, String hmacSecret) {
    return e.secret() == null ? null : Buffer.buffer(JwtSecrets.encrypt(e.secret(), id.toString(), hmacSecret));
  }

  private static String hex(String ref) {
    return ref.substring(DIGEST_REF.length());
  }

  private static Future<Void> batch(SqlConnection conn, String sql, List<Tuple> rows) {
    return rows.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(sql).executeBatch(rows).mapEmpty();
  }
}

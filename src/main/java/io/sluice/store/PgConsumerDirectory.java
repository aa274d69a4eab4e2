package io.sluice.store;

import io.sluice.credential.Consumer;
import io.sluice.credential.ConsumerDirectory;
import io.sluice.credential.JwtCredential;
import io.sluice.credential.JwtSecrets;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The consumer directory read straight from PostgreSQL: one indexed query per lookup (key digest, or tenant and
 * jwt issuer: both unique indexes), no cache of its own (the cluster's near-cache wraps it). HS* secrets are
 * decrypted here with keys.hmac_secret (see {@link JwtSecrets}).
 */
public final class PgConsumerDirectory implements ConsumerDirectory {

  private static final String CONSUMER = "c.id::text, c.tenant_id::text, c.username, c.custom_id, c.groups,"
      + " t.name";
  private static final String FROM = " from credentials k join consumers c on c.id = k.consumer_id"
      + " join tenants t on t.id = c.tenant_id";
  /** A key digest is unique across tenants: the policy checks the consumer's tenant against the route's. */
  private static final String BY_DIGEST = "select " + CONSUMER + FROM
      + " where k.kind = 'api-key' and k.key_digest = $1";
  /** An issuer is unique within a tenant only: looked up in the route's tenant. */
  private static final String BY_ISSUER = "select " + CONSUMER + ", k.id::text, k.jwt_algorithm, k.jwt_public_key,"
      + " k.jwt_secret_enc" + FROM + " where k.kind = 'jwt' and t.name = $1 and k.jwt_issuer = $2";

  private final Pool pool;
  private final String hmacSecret;

  public PgConsumerDirectory(Pool pool, String hmacSecret) {
    this.pool = pool;
    this.hmacSecret = hmacSecret;
  }

  @Override
  public Future<Optional<Consumer>> byKeyDigest(byte[] digest) {
    return pool.preparedQuery(BY_DIGEST).execute(Tuple.of(Buffer.buffer(digest))).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      return Optional.of(consumer(rows.iterator().next()));
    });
  }

  @Override
  public Future<Optional<JwtCredential>> byJwtIssuer(String tenant, String issuer) {
    return pool.preparedQuery(BY_ISSUER).execute(Tuple.of(tenant, issuer)).map(rows -> {
      if (rows.size() == 0) {
        return Optional.empty();
      }
      Row r = rows.iterator().next();
      String id = r.getString(6);
      String algorithm = r.getString(7);
      String key = r.getString(8);
      Buffer sealed = r.getBuffer(9);
      if (sealed != null) {
        try {
          key = JwtSecrets.decrypt(sealed.getBytes(), id, hmacSecret);
        } catch (java.security.GeneralSecurityException e) {
          // Sealed under another keys.hmac_secret: this node cannot verify it, which is not the token's fault.
          throw new IllegalStateException("jwt credential " + id + ": secret does not decrypt with keys.hmac_secret");
        }
      }
      return Optional.of(new JwtCredential(id, consumer(r), issuer, algorithm, key));
    });
  }

  private static Consumer consumer(Row r) {
    String[] groups = r.getArrayOfStrings(4);
    List<String> g = groups == null ? List.of() : Arrays.asList(groups);
    return new Consumer(r.getString(0), r.getString(1), r.getString(2), r.getString(3), g, r.getString(5));
  }
}

package io.sluice.credential;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

/**
 * Stream tokens: {@code st_} and 32 base64url characters (192 random bits), stored as the HMAC-SHA-256
 * digest under keys.hmac_secret like API keys ({@link ApiKeys}); a token names its tenant.
 */
public final class StreamTokens {

  public static final String PREFIX = "st_";

  private StreamTokens() {}

  public static String generate() {
    return PREFIX + ApiKeys.generate().substring(ApiKeys.PREFIX.length());
  }

  public static String shown(String token) {
    return token.substring(0, Math.min(PREFIX.length() + 8, token.length()));
  }

  public static byte[] digest(String token, String secret) {
    return ApiKeys.digest(token, secret);
  }

  /** The name of the tenant a token belongs to, or null for an unknown token. */
  public static Future<String> tenantOf(Pool pool, String token, String secret) {
    if (token == null || !token.startsWith(PREFIX) || token.length() > 200) {
      return Future.succeededFuture(null);
    }
    return pool.preparedQuery("select t.name from stream_tokens s join tenants t on t.id = s.tenant_id"
            + " where s.token_digest = $1")
        .execute(Tuple.of(Buffer.buffer(digest(token, secret))))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }
}

package io.sluice.credential;

import io.vertx.core.Future;

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

  /** A token's tenant: its id (what the stream keys records and cursors by) and its name. */
  public record Tenant(String id, String name) {}

  /** Where stream tokens are kept: the tenant whose token has a digest, or null. */
  @FunctionalInterface
  public interface Store {
    Future<Tenant> tenantOf(byte[] digest);
  }

  /** The tenant a token belongs to, or null for an unknown token (not even looked up if malformed). */
  public static Future<Tenant> tenantOf(Store store, String token, String secret) {
    if (token == null || !token.startsWith(PREFIX) || token.length() > 200) {
      return Future.succeededFuture(null);
    }
    return store.tenantOf(digest(token, secret));
  }
}

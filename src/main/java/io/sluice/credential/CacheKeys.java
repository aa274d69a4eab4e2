package io.sluice.credential;

import java.util.HexFormat;

/**
 * How the consumer caches name a credential: one home for the key the policies look up and the key the
 * sync path evicts when the credential changes, so that the two can never drift apart.
 */
public final class CacheKeys {

  private CacheKeys() {}

  /** The cache key of an API key credential, from its digest in hex (as PostgreSQL's encode(.., 'hex') gives it). */
  public static String apiKey(String digestHex) {
    return "key:" + digestHex;
  }

  /** The cache key of an API key credential, from its digest. */
  public static String apiKey(byte[] digest) {
    return apiKey(HexFormat.of().formatHex(digest));
  }

  /**
   * The cache key of a JWT credential, from its tenant's name and its issuer (the token's iss claim). The
   * tenant's length comes first, so that no tenant and issuer pair can spell another's key.
   */
  public static String jwtIssuer(String tenant, String issuer) {
    return "jwt:" + tenant.length() + ":" + tenant + ":" + issuer;
  }

}

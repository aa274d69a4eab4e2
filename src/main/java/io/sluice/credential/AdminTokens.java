package io.sluice.credential;

/**
 * Admin tokens: {@code sat_} and 32 base64url characters (192 random bits), stored only as the HMAC-SHA-256
 * digest under keys.hmac_secret (the digest code of {@link ApiKeys}) and a readable prefix.
 */
public final class AdminTokens {

  public static final String PREFIX = "sat_";
  /** The longest token looked up: anything longer is no token of ours (and is not digested). */
  private static final int MAX_LENGTH = 200;

  private AdminTokens() {}

  public static String generate() {
    return PREFIX + ApiKeys.generate().substring(ApiKeys.PREFIX.length());
  }

  /** The part kept in clear and listed: the prefix and 8 characters. */
  public static String shown(String token) {
    return token.substring(0, Math.min(PREFIX.length() + 8, token.length()));
  }

  /** Whether {@code token} has the form of an admin token (only those are looked up). */
  public static boolean looksLikeOne(String token) {
    return token != null && token.startsWith(PREFIX) && token.length() <= MAX_LENGTH;
  }

  public static byte[] digest(String token, String secret) {
    return ApiKeys.digest(token, secret);
  }
}

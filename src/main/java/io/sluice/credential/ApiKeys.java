package io.sluice.credential;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * API keys: generated here (192 random bits behind a readable {@code sk_} prefix), stored only as their
 * HMAC-SHA-256 digest under a secret kept outside the database, and compared in constant time. The admin
 * API creates keys with it; the key-auth policy looks a presented key up by {@link #digest} and confirms
 * with {@link #matches}.
 */
public final class ApiKeys {

  /** What every key starts with, so that a leaked key is recognisable (and greppable by secret scanners). */
  public static final String PREFIX = "sk_";
  /** The part of a key stored in clear and shown in lists: the prefix and 8 characters. */
  public static final int SHOWN = PREFIX.length() + 8;
  /** 24 bytes = 192 bits of SecureRandom, 32 base64url characters: well above the 128 bits required. */
  private static final int RANDOM_BYTES = 24;
  /**
   * The HMAC key when keys.hmac_secret is empty: fixed and public, for development only (the node logs a
   * warning at start). Digests made with it are worthless to protect a leaked database.
   */
  public static final String DEVELOPMENT_SECRET = "sluice-development-hmac-secret-do-not-use-in-production";

  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  /** A new key: {@code sk_} and 32 base64url characters. Show it once; never log it. */
  public static String generate() {
    byte[] bytes = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(bytes);
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** The readable part of a key kept in clear (credentials.key_prefix). */
  public static String shown(String key) {
    return key.substring(0, Math.min(SHOWN, key.length()));
  }

  /** The secret actually used: the configured one, or {@link #DEVELOPMENT_SECRET} when empty. */
  public static String effectiveSecret(String configured) {
    return configured == null || configured.isEmpty() ? DEVELOPMENT_SECRET : configured;
  }

  /** HMAC-SHA-256 of the key under the secret (empty secret: the development one): 32 bytes. */
  public static byte[] digest(String key, String secret) {
    return new Digester(secret).digest(key);
  }

  /**
   * The digest of keys under one secret, for a caller that digests many (the key-auth policy on every
   * request): one keyed HMAC per thread, since Mac.getInstance and init cost more than a digest itself.
   */
  public static final class Digester {

    private final ThreadLocal<Mac> mac;

    public Digester(String secret) {
      byte[] keyBytes = effectiveSecret(secret).getBytes(StandardCharsets.UTF_8);
      this.mac = ThreadLocal.withInitial(() -> {
        try {
          Mac m = Mac.getInstance("HmacSHA256");
          m.init(new SecretKeySpec(keyBytes, "HmacSHA256"));
          return m;
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
      });
    }

    /** The digest stored for {@code key} (what {@link ApiKeys#digest} gives). */
    public byte[] digest(String key) {
      return mac.get().doFinal(key.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Whether a presented key has the stored digest, compared in constant time. */
  public static boolean matches(String presented, byte[] storedDigest, String secret) {
    return presented != null && storedDigest != null
        && MessageDigest.isEqual(digest(presented, secret), storedDigest);
  }
}

package io.sluice.credential;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared secrets of HS* JWT credentials, stored encrypted: AES-256-GCM under a key derived from
 * keys.hmac_secret (HMAC-SHA-256 of a fixed label), which lives in the nodes' settings and never in the
 * database. A database dump alone therefore reveals no secret. Stored form: 12-byte nonce, then ciphertext
 * and tag; the credential id is the associated data, so a ciphertext copied to another row does not decrypt.
 * The nonce is synthetic (an HMAC of the credential id and the secret under a key of its own, as in SIV): the
 * same secret of the same credential is sealed to the same bytes, so sending it again changes nothing (its
 * {@code secret_ref} stays, and earlier exports and rollbacks still name it).
 */
public final class JwtSecrets {

  private static final String LABEL = "sluice jwt credential secret v1";
  private static final String NONCE_LABEL = "sluice jwt credential secret nonce v1";
  private static final int NONCE = 12;

  private JwtSecrets() {}

  public static byte[] encrypt(String secret, String credentialId, String hmacSecret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(derived(NONCE_LABEL, hmacSecret), "HmacSHA256"));
      mac.update(credentialId.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      byte[] nonce = java.util.Arrays.copyOf(mac.doFinal(secret.getBytes(StandardCharsets.UTF_8)), NONCE);
      Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce, credentialId, hmacSecret);
      byte[] sealed = c.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** The secret, or an exception when the stored form was not sealed for this credential under this key. */
  public static String decrypt(byte[] stored, String credentialId, String hmacSecret)
      throws GeneralSecurityException {
    byte[] nonce = java.util.Arrays.copyOf(stored, NONCE);
    Cipher c = cipher(Cipher.DECRYPT_MODE, nonce, credentialId, hmacSecret);
    return new String(c.doFinal(stored, NONCE, stored.length - NONCE), StandardCharsets.UTF_8);
  }

  private static Cipher cipher(int mode, byte[] nonce, String credentialId, String hmacSecret)
      throws GeneralSecurityException {
    byte[] key = derived(LABEL, hmacSecret);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    c.updateAAD(credentialId.getBytes(StandardCharsets.UTF_8));
    return c;
  }

  /** HMAC-SHA-256 of {@code label} under keys.hmac_secret: a key for one use only. */
  private static byte[] derived(String label, String hmacSecret) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(ApiKeys.effectiveSecret(hmacSecret).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
  }
}

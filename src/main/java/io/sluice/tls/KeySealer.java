package io.sluice.tls;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals certificates' private keys for the database: AES-256-GCM under a key derived with HKDF-SHA-256
 * (RFC 5869, on the JDK's HMAC) from a node secret that is the same on every node and never enters the
 * database, with a label of its own so that the key differs from every other use of the same secret.
 * Stored form: 12-byte nonce, ciphertext and tag. The associated data binds a sealed key to its certificate
 * (the leaf's fingerprint): copied next to another certificate, it does not open.
 *
 * <p>The nonce is synthetic (as in SIV, RFC 5297): an HMAC, under a key of its own, of the certificate and the key,
 * so the same key for the same certificate is sealed to the same bytes. Sending a certificate's key again therefore
 * changes nothing (its {@code key_ref}, which exports and the history name it by, stays), and two different keys
 * never share a nonce (but by a collision of 96 bits of HMAC-SHA-256). All it tells is that two sealed keys are the
 * same key of the same certificate.
 */
public final class KeySealer {

  private static final byte[] SALT = "sluice".getBytes(StandardCharsets.UTF_8);
  private static final byte[] INFO = "sluice certificate private key v1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] NONCE_INFO = "sluice certificate private key nonce v1".getBytes(StandardCharsets.UTF_8);
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecretKeySpec nonceKey;

  /** {@code secret}: keys.encryption_secret, or keys.hmac_secret when that is empty (see {@link #secretOf}). */
  public KeySealer(String secret) {
    this.key = new SecretKeySpec(hkdf(secret.getBytes(StandardCharsets.UTF_8), INFO), "AES");
    this.nonceKey = new SecretKeySpec(hkdf(secret.getBytes(StandardCharsets.UTF_8), NONCE_INFO), "HmacSHA256");
  }

  /** The secret the nodes derive the sealing key from: the encryption secret, else the HMAC secret. */
  public static String secretOf(String encryptionSecret, String hmacSecret) {
    if (encryptionSecret != null && !encryptionSecret.isEmpty()) {
      return encryptionSecret;
    }
    // The same development fallback as API key digests when no secret is set at all (warned at start).
    return hmacSecret == null || hmacSecret.isEmpty() ? "sluice-development-only-secret" : hmacSecret;
  }

  public byte[] seal(byte[] plain, String fingerprint) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(nonceKey);
      mac.update(fingerprint.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      byte[] nonce = Arrays.copyOf(mac.doFinal(plain), NONCE);
      Cipher c = cipher(Cipher.ENCRYPT_MODE, nonce, fingerprint);
      byte[] sealed = c.doFinal(plain);
      return ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /** The plain key; an exception when it was sealed for another certificate or under another secret. */
  public byte[] open(byte[] stored, String fingerprint) throws GeneralSecurityException {
    if (stored.length <= NONCE) {
      throw new GeneralSecurityException("sealed key too short");
    }
    Cipher c = cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(stored, NONCE), fingerprint);
    return c.doFinal(stored, NONCE, stored.length - NONCE);
  }

  private Cipher cipher(int mode, byte[] nonce, String fingerprint) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
    c.updateAAD(fingerprint.getBytes(StandardCharsets.UTF_8));
    return c;
  }

  /** HKDF-SHA-256 extract then expand to one 32-byte block. */
  private static byte[] hkdf(byte[] ikm, byte[] info) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SALT, "HmacSHA256"));
      byte[] prk = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      mac.update(info);
      mac.update((byte) 1);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
    }
  }
}

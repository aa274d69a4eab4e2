package io.sluice.tls;

import io.sluice.config.FieldError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A certificate chain with its private key, checked: the chain parses (leaf first, each certificate signed
 * by the next), the key is the leaf's (a signature made with it verifies with the leaf's public key), and the
 * leaf is valid now (not expired, not valid only from a later date). What the admin API writes and what a node serves.
 */
public record Material(X509Certificate[] chain, PrivateKey key, String fingerprint) {

  /**
   * How far in the future a leaf's notBefore may be: the skew between the issuing CA's clock and ours (a CA may
   * also backdate by minutes). A leaf valid only from later would be served, and refused by every client, until then.
   */
  static final Duration NOT_BEFORE_SKEW = Duration.ofHours(1);

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The checked material, or the fields ({@code cert}, {@code key}) that are wrong and why. */
  public static Material check(String certPem, String keyPem, Instant now, List<FieldError> errors) {
    List<X509Certificate> chain = null;
    try {
      chain = Pem.chain(certPem);
    } catch (CertificateException e) {
      errors.add(new FieldError("cert", reason(e)));
    }
    PrivateKey key = null;
    try {
      key = Pem.privateKey(keyPem);
    } catch (IOException e) {
      errors.add(new FieldError("key", e.getMessage()));
    }
    if (chain == null) {
      return null;
    }
    X509Certificate leaf = chain.get(0);
    if (leaf.getNotAfter().toInstant().isBefore(now)) {
      errors.add(new FieldError("cert", "expired on " + leaf.getNotAfter().toInstant()
          + " (subject " + leaf.getSubjectX500Principal().getName() + ")"));
    }
    if (leaf.getNotBefore().toInstant().isAfter(now.plus(NOT_BEFORE_SKEW))) {
      errors.add(new FieldError("cert", "not valid before " + leaf.getNotBefore().toInstant()
          + ", more than " + NOT_BEFORE_SKEW.toHours() + " hour from now (subject "
          + leaf.getSubjectX500Principal().getName() + ")"));
    }
    for (int i = 0; i + 1 < chain.size(); i++) {
      try {
        chain.get(i).verify(chain.get(i + 1).getPublicKey());
      } catch (GeneralSecurityException e) {
        errors.add(new FieldError("cert", "certificate " + i + " of the chain is not signed by certificate "
            + (i + 1) + " (give the chain leaf first, each followed by its issuer)"));
        break;
      }
    }
    if (key != null && !matches(key, leaf.getPublicKey())) {
      errors.add(new FieldError("key", "does not match the certificate (the leaf's public key is not this key's)"));
    }
    return errors.isEmpty() ? new Material(chain.toArray(X509Certificate[]::new), key, Pem.fingerprint(leaf)) : null;
  }

  public X509Certificate leaf() {
    return chain[0];
  }

  public Instant notAfter() {
    return leaf().getNotAfter().toInstant();
  }

  public String subject() {
    return leaf().getSubjectX500Principal().getName();
  }

  /** The leaf's DNS names (subject alternative names of type dNSName). */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf().getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          if (Integer.valueOf(2).equals(san.get(0))) {
            out.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateException ignored) {
      // unreadable extension: no names to show
    }
    return out;
  }

  /** Whether {@code key} is the private half of {@code pub}: a signature made with one verifies with the other. */
  static boolean matches(PrivateKey key, PublicKey pub) {
    String alg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (alg == null || !sameFamily(key.getAlgorithm(), pub.getAlgorithm())) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      RANDOM.nextBytes(challenge);
      Signature s = Signature.getInstance(alg);
      s.initSign(key);
      s.update(challenge);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(alg);
      v.initVerify(pub);
      v.update(challenge);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static boolean sameFamily(String a, String b) {
    return norm(a).equals(norm(b));
  }

  private static String norm(String alg) {
    return switch (alg) {
      case "ECDSA" -> "EC";
      case "EdDSA" -> "Ed25519";
      default -> alg;
    };
  }

  private static String reason(CertificateException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.startsWith("is ") || m.startsWith("holds ") ? m : "is not a valid PEM certificate chain: " + m;
  }

  /** The key as PKCS#8 PEM text (what is sealed). */
  public byte[] keyPkcs8() {
    return key.getEncoded();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}

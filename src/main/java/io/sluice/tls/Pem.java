package io.sluice.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM in and out: a certificate chain (the JDK's X.509 factory) and a private key in any of the forms
 * openssl writes (PKCS#8, PKCS#1 RSA, SEC1 EC; BouncyCastle's parser). Encrypted keys are refused: the
 * database copy is sealed by {@link KeySealer} instead.
 */
public final class Pem {

  private Pem() {}

  /** Every CERTIFICATE block of {@code pem}, in order; an exception naming the problem otherwise. */
  public static List<X509Certificate> chain(String pem) throws CertificateException {
    if (pem == null || !pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw new CertificateException("is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)");
    }
    CertificateFactory f = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    for (var c : f.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
      out.add((X509Certificate) c);
    }
    if (out.isEmpty()) {
      throw new CertificateException("holds no certificate");
    }
    return out;
  }

  /** The private key of {@code pem}; an IOException naming the problem otherwise. */
  public static PrivateKey privateKey(String pem) throws IOException {
    if (pem == null || !pem.contains("PRIVATE KEY-----")) {
      throw new IOException("is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block)");
    }
    if (pem.contains("ENCRYPTED PRIVATE KEY") || pem.contains("Proc-Type: 4,ENCRYPTED")) {
      throw new IOException("is encrypted: give the key without a passphrase (Sluice stores it sealed)");
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
        if (o instanceof PEMKeyPair pair) {
          return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        if (o instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
      }
    } catch (RuntimeException | IOException e) {
      // Never the parser's text: it could quote part of the key.
      throw new IOException("cannot be read (a damaged key, or of a kind Sluice does not know)", e);
    }
    throw new IOException("holds no private key");
  }

  /** The SHA-256 fingerprint of a certificate, lower-case hex. */
  public static String fingerprint(X509Certificate cert) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    } catch (NoSuchAlgorithmException | java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }
}

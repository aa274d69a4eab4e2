package io.sluice.testing;

import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** A certificate authority made in the test (EC P-256), and leaf certificates it signs, all as PEM. */
public final class TestCa {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());
  private static final long DAY_MS = 86_400_000L;

  /** A certificate and its private key, as PEM. */
  public record Leaf(String certPem, String keyPem) {}

  private final KeyPair key;
  private final X500Name name;
  private final X509Certificate cert;

  private TestCa(String cn) {
    this.key = ecKey();
    this.name = new X500Name("CN=" + cn);
    this.cert = sign(name, key.getPublic(), name, key.getPrivate(), true, new String[0]);
  }

  public static TestCa create(String cn) {
    return new TestCa(cn);
  }

  /** The CA's certificate (what a client trusts). */
  public String certPem() {
    return pem(cert);
  }

  /** A server certificate for {@code names} (DNS names, or IP addresses), signed by this CA. */
  public Leaf leaf(String... names) {
    KeyPair k = ecKey();
    X509Certificate c = sign(new X500Name("CN=" + names[0]), k.getPublic(), name, key.getPrivate(), false, names);
    return new Leaf(pem(c), pkcs8(k.getPrivate()));
  }

  private static KeyPair ecKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(256);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X500Name subject, java.security.PublicKey pub, X500Name issuer,
                                      PrivateKey issuerKey, boolean ca, String[] names) {
    try {
      long now = System.currentTimeMillis();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
          new Date(now - DAY_MS), new Date(now + 30 * DAY_MS), subject, pub);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        GeneralName[] alt = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
          boolean ip = names[i].matches("[0-9.]+");
          alt[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt));
      }
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (GeneralSecurityException | OperatorCreationException | java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static String pkcs8(PrivateKey k) {
    try {
      return pem(new JcaPKCS8Generator(k, null));
    } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
      throw new IllegalStateException(e);
    }
  }
}

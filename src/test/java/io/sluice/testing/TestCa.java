package io.sluice.testing;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * A certificate authority made in the test (EC P-256, BouncyCastle): issues server and client certificates
 * with the names and validity asked for, as PEM, and SSL contexts that trust it or present a client
 * certificate. Nothing comes from files made elsewhere.
 */
public final class TestCa {

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** An issued certificate: its PEM chain (leaf, then the CA), its key and the leaf. */
  public record Issued(String certPem, String keyPem, X509Certificate leaf, KeyPair keys, X509Certificate[] chain) {}

  private final String name;
  private final KeyPair keys;
  private final X509Certificate cert;

  public TestCa(String name) {
    this.name = name;
    this.keys = ecKeys();
    Instant now = Instant.now();
    this.cert = sign(new X500Name("CN=" + name), keys, new X500Name("CN=" + name), keys,
        now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3650)), true, new String[0]);
  }

  public static TestCa create(String name) {
    return new TestCa(name);
  }

  public X509Certificate certificate() {
    return cert;
  }

  /** The CA's certificate (what a client trusts). */
  public String certPem() {
    return pem(cert);
  }

  /**
   * A server certificate for {@code names} (DNS names, or IP addresses as subjectAltName IP entries; the first is the
   * CN), valid 30 days.
   */
  public Issued leaf(String... names) {
    return issue(names[0], Duration.ofDays(30), names);
  }

  public String pem() {
    return pem(cert);
  }

  /** A server (and client) certificate for {@code names}, valid from yesterday for {@code valid}. */
  public Issued issue(String cn, Duration valid, String... names) {
    Instant now = Instant.now();
    return issue(cn, now.minus(Duration.ofDays(1)), now.plus(valid), names);
  }

  public Issued issue(String cn, Instant notBefore, Instant notAfter, String... names) {
    KeyPair leafKeys = ecKeys();
    X509Certificate leaf = sign(new X500Name("CN=" + cn), leafKeys, new X500Name("CN=" + name), keys, notBefore,
        notAfter, false, names);
    return new Issued(pem(leaf) + pem(cert), pkcs8(leafKeys.getPrivate()), leaf, leafKeys,
        new X509Certificate[] {leaf, cert});
  }

  /** A TLS client context that trusts this CA only, presenting {@code client} when not null. */
  public SSLContext clientContext(Issued client) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("ca", cert);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      KeyManagerFactory kmf = null;
      if (client != null) {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", client.keys().getPrivate(), new char[0], client.chain());
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(X500Name subject, KeyPair subjectKeys, X500Name issuer, KeyPair issuerKeys,
                                      Instant notBefore, Instant notAfter, boolean ca, String[] names) {
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
          Date.from(notBefore), Date.from(notAfter), subject, subjectKeys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      if (ca) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      }
      if (names.length > 0) {
        GeneralName[] g = new GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
          g[i] = new GeneralName(IPAddress.isValid(names[i]) ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(g));
      }
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair ecKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A private key as openssl writes it by default (PKCS#8, "BEGIN PRIVATE KEY"). */
  public static String pkcs8(java.security.PrivateKey key) {
    try {
      return pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null).generate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(Object o) {
    try {
      StringWriter w = new StringWriter();
      try (JcaPEMWriter p = new JcaPEMWriter(w)) {
        p.writeObject(o);
      }
      return w.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}

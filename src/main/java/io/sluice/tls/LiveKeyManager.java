package io.sluice.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager over the node's live certificates: chains and keys are read by alias from what is applied at
 * the moment of each handshake, so a rotation needs no TLS context rebuilt. Subclasses choose the alias (by
 * SNI for the listeners, by the service's client certificate towards targets).
 */
abstract class LiveKeyManager extends X509ExtendedKeyManager {

  protected final LiveCertificates live;

  LiveKeyManager(LiveCertificates live) {
    this.live = live;
  }

  @Override
  public final X509Certificate[] getCertificateChain(String alias) {
    CertificateSet.Entry e = live.byAlias(alias);
    return e == null ? null : e.chain().clone();
  }

  @Override
  public final PrivateKey getPrivateKey(String alias) {
    CertificateSet.Entry e = live.byAlias(alias);
    return e == null ? null : e.key();
  }

  /** Whether a key of {@code algorithm} serves the JDK's {@code keyType} (RSA, EC, EdDSA; TLS 1.2 "EC_EC" and the like). */
  static boolean fits(String keyType, String algorithm) {
    String type = keyType.contains("_") ? keyType.substring(0, keyType.indexOf('_')) : keyType;
    return switch (algorithm) {
      case "RSA" -> type.equals("RSA");
      case "EC", "ECDSA" -> type.equals("EC");
      case "Ed25519", "Ed448", "EdDSA" -> type.equals("EdDSA") || type.equals(algorithm);
      default -> type.equals(algorithm);
    };
  }
}

package io.sluice.tls;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.internal.tcnative.SSL;
import java.net.Socket;
import java.security.Principal;
import java.util.List;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;

/**
 * The proxy's TLS key manager: every handshake looks its certificate up, by the server name the client
 * indicated, in the node's live {@link CertificateSet}. A certificate created or rotated through the admin API
 * is therefore served to the next handshake, with no restart and no listener rebuilt (connections already
 * open keep the certificate they agreed on). The alias is the certificate's fingerprint, so the chain and key
 * asked for after the choice are those of the exact material chosen, even if a rotation lands in between.
 */
public final class SniKeyManager extends LiveKeyManager {


  public SniKeyManager(LiveCertificates live) {
    super(live);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    CertificateSet.Entry e = live.current().select(serverName(engine));
    if (e == null || !fits(keyType, e.key().getAlgorithm())) {
      return null;
    }
    return e.alias();
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    CertificateSet.Entry e = live.current().select(null);
    return e == null || !fits(keyType, e.key().getAlgorithm()) ? null : e.alias();
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return live.current().certificates().stream().filter(e -> fits(keyType, e.key().getAlgorithm()))
        .map(CertificateSet.Entry::alias).toArray(String[]::new);
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  /**
   * The host name of the SNI extension of the handshake in progress, or null when the client sent none. A name
   * that is not a valid host name by the JDK's rules (an underscore, as in container service names, or an empty
   * label) makes BoringSSL's session throw when asked: it is then read as sent, so that it gets the certificate of
   * SNI {@code *} (or the handshake is refused for the usual reason) instead of failing with an internal error.
   */
  static String serverName(SSLEngine engine) {
    SSLSession session = engine == null ? null : engine.getHandshakeSession();
    if (session instanceof ExtendedSSLSession ext) {
      List<SNIServerName> names;
      try {
        names = ext.getRequestedServerNames();
      } catch (IllegalArgumentException notAHostName) {
        return engine instanceof ReferenceCountedOpenSslEngine openSsl ? SSL.getSniHostname(openSsl.sslPointer())
            : null;
      }
      for (SNIServerName n : names) {
        if (n instanceof SNIHostName host) {
          return host.getAsciiName();
        }
      }
    }
    return null;
  }
}

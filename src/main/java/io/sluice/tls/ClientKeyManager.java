package io.sluice.tls;

import java.net.Socket;
import java.security.Principal;
import javax.net.ssl.SSLEngine;

/**
 * The client certificate a service presents to its targets (mTLS to upstreams): the certificate entity the
 * service's {@code tls.client_certificate} names, looked up in the node's live certificates at every handshake.
 * A rotation of that entity therefore applies to the next upstream connection with no client rebuilt (pooled
 * connections keep the certificate they were opened with). A certificate this node does not hold (not applied
 * yet, or its key does not open here) presents none: the target then refuses the handshake, answered 502.
 */
public final class ClientKeyManager extends LiveKeyManager {

  private final String certificateId;

  public ClientKeyManager(LiveCertificates live, String certificateId) {
    super(live);
    this.certificateId = certificateId;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
    return choose(keyTypes);
  }

  @Override
  public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
    return choose(keyTypes);
  }

  private String choose(String[] keyTypes) {
    CertificateSet.Entry e = live.current().byId(certificateId);
    if (e == null) {
      return null;
    }
    for (String type : keyTypes) {
      if (fits(type, e.key().getAlgorithm())) {
        return e.alias();
      }
    }
    return null;
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    String alias = choose(new String[] {keyType});
    return alias == null ? null : new String[] {alias};
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return null;
  }
}

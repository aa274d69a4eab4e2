package io.sluice.proxy;

import io.sluice.config.ServiceDef;
import io.sluice.upstream.Target;
import io.sluice.tls.ClientKeyManager;
import io.sluice.tls.LiveCertificates;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;

/**
 * How the upstream client of one service speaks to targets of one scheme: TLS with the target's host as SNI (none for
 * an IP address, RFC 6066 section 3) and as the name verified (system trust, or the service's CA bundle;
 * {@code tls.verify: false} accepts any certificate), the service's client certificate when it names one (mTLS to
 * upstreams, looked up live at each handshake), ALPN h2 for {@code h2://}, and HTTP/2 with prior knowledge for
 * {@code h2c://}.
 */
final class UpstreamTls {

  private UpstreamTls() {}

  /**
   * {@code byAddress}: the client's targets are named by an IP address; {@code certificates}: where the service's
   * client certificate (tls.client_certificate) is looked up.
   */
  static void configure(HttpClientOptions options, Target.Scheme scheme, boolean byAddress, ServiceDef.Tls tls,
                        LiveCertificates certificates, SSLEngineOptions engine) {
    if (scheme.http2()) {
      options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }
    if (!scheme.tls()) {
      return;
    }
    // A host name is sent even without a dot (localhost, a Kubernetes service's short name), which the engines would
    // leave out; an IP address never is (RFC 6066 section 3), nor do the engines send one unforced. The certificate
    // is verified against the address all the same (subjectAltName IP).
    options.setSsl(true).setForceSni(!byAddress).setSslEngineOptions(engine);
    if (tls.clientCertificate() != null && certificates != null) {
      options.setKeyCertOptions(KeyCertOptions.wrap(new ClientKeyManager(certificates, tls.clientCertificate())));
    }
    if (scheme == Target.Scheme.H2) {
      options.setUseAlpn(true).setAlpnVersions(List.of(HttpVersion.HTTP_2));
    }
    if (!tls.verifies()) {
      options.setTrustAll(true).setVerifyHost(false);
      return;
    }
    options.setVerifyHost(true);
    if (tls.caBundle() != null) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(tls.caBundle())));
    }
  }
}

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
 * How the upstream client of one service speaks to targets of one scheme: TLS with the target's host as SNI and
 * as the name verified (system trust, or the service's CA bundle; {@code tls.verify: false} accepts any
 * certificate), the service's client certificate when it names one (mTLS to upstreams, looked up live at each
 * handshake), ALPN h2 for {@code h2://}, and HTTP/2 with prior knowledge for {@code h2c://}.
 */
final class UpstreamTls {

  private UpstreamTls() {}

  /** {@code certificates}: where the service's client certificate (tls.client_certificate) is looked up. */
  static void configure(HttpClientOptions options, Target.Scheme scheme, ServiceDef.Tls tls,
                        LiveCertificates certificates, SSLEngineOptions engine) {
    if (scheme.http2()) {
      options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }
    if (!scheme.tls()) {
      return;
    }
    options.setSsl(true).setForceSni(true).setSslEngineOptions(engine);
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

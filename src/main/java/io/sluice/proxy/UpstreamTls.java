package io.sluice.proxy;

import io.sluice.config.ServiceDef;
import io.sluice.upstream.Target;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;

/**
 * How the upstream client of one service speaks to targets of one scheme: TLS with the target's host as SNI and
 * as the name verified (system trust, or the service's CA bundle; {@code tls.verify: false} accepts any
 * certificate), ALPN h2 for {@code h2://}, and HTTP/2 with prior knowledge for {@code h2c://}.
 */
final class UpstreamTls {

  private UpstreamTls() {}

  static void configure(HttpClientOptions options, Target.Scheme scheme, ServiceDef.Tls tls) {
    if (scheme.http2()) {
      options.setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }
    if (!scheme.tls()) {
      return;
    }
    options.setSsl(true).setForceSni(true);
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

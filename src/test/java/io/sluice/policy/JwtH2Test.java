package io.sluice.policy;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;

/** Every {@link JwtTest} case again, the client speaking HTTP/2 over TLS (h2 by ALPN): the same answers. */
class JwtH2Test extends JwtTest {

  @Override
  Gateway gateway(Vertx vertx) {
    return super.gateway(vertx).overTls();
  }
}

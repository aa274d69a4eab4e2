package io.sluice.policy;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;

/** Every {@link KeyAuthTest} case again, the client speaking HTTP/2 over TLS (h2 by ALPN): the same answers. */
class KeyAuthH2Test extends KeyAuthTest {

  @Override
  Gateway gateway(Vertx vertx) {
    return super.gateway(vertx).overTls();
  }
}

package io.sluice.policy;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;

/** Every {@link KeyAuthTest} case again, the client speaking HTTP/2 with prior knowledge: the same answers. */
class KeyAuthH2cTest extends KeyAuthTest {

  @Override
  Gateway gateway(Vertx vertx) {
    return super.gateway(vertx).overH2c();
  }
}

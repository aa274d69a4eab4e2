package io.sluice.policy;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;

/** Every {@link AclTest} case again, the client speaking HTTP/2 with prior knowledge: the same answers. */
class AclH2cTest extends AclTest {

  @Override
  Gateway gateway(Vertx vertx) {
    return super.gateway(vertx).overH2c();
  }
}

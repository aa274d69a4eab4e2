package io.sluice.policy;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;

/** Every {@link TrafficPoliciesTest} case again, the client speaking HTTP/2 with prior knowledge: the same answers. */
class TrafficPoliciesH2cTest extends TrafficPoliciesTest {

  @Override
  Gateway gateway(Vertx vertx) {
    return super.gateway(vertx).overH2c();
  }
}

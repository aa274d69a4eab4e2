package io.sluice.policy;

import io.sluice.testing.Gateway;
import io.vertx.core.Vertx;

/** Every {@link TrafficPoliciesTest} case again, the client speaking HTTP/2 over TLS (h2 by ALPN): the same answers. */
class TrafficPoliciesH2Test extends TrafficPoliciesTest {

  @Override
  Gateway gateway(Vertx vertx) {
    return super.gateway(vertx).overTls();
  }
}

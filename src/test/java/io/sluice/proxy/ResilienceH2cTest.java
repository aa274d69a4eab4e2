package io.sluice.proxy;

import io.sluice.testing.Http;
import io.vertx.core.Vertx;

/** Every {@link ResilienceTest} case (retries, timeouts, breakers, stalls) again, the client speaking h2c. */
class ResilienceH2cTest extends ResilienceTest {

  @Override
  Http client(Vertx vertx) {
    return Http.h2c(vertx);
  }

  @Override
  boolean http2() {
    return true;
  }
}

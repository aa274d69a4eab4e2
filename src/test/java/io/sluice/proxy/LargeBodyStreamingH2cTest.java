package io.sluice.proxy;

import io.sluice.testing.Http;
import io.vertx.core.Vertx;

/** Every {@link LargeBodyStreamingTest} case again with the client speaking HTTP/2 with prior knowledge. */
class LargeBodyStreamingH2cTest extends LargeBodyStreamingTest {

  @Override
  Http client(Vertx vertx) {
    return Http.h2c(vertx);
  }
}

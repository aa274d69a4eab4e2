package io.sluice.proxy;

import java.util.Map;

/** {@link RequestSmugglingTest} on epoll (see {@link RequestLimitsEpollTest} for why both transports). */
class RequestSmugglingEpollTest extends RequestSmugglingTest {

  @Override
  Map<String, String> transport() {
    return Map.of("SLUICE_NODE_TRANSPORT", "epoll");
  }
}

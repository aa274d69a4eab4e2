package io.sluice.proxy;

import java.util.Map;

/**
 * {@link RequestLimitsTest} on epoll: the suite's nodes run on io_uring where the kernel allows it (node.transport
 * auto), while pods under a RuntimeDefault seccomp profile run on epoll, whose close is immediate where io_uring's
 * waits for the answer's write. Both must refuse the same way.
 */
class RequestLimitsEpollTest extends RequestLimitsTest {

  @Override
  Map<String, String> transport() {
    return Map.of("SLUICE_NODE_TRANSPORT", "epoll");
  }
}

package io.sluice.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.headers.HeadersAdaptor;
import org.junit.jupiter.api.Test;

/**
 * The answer's headers are copied from the Netty map inside Vert.x's adaptor (no String per name): if a Vert.x
 * upgrade changes the adaptor, the copy still works through the MultiMap, but this test says the fast path is gone.
 */
class HopByHopTest {

  @Test
  void reads_the_netty_map_inside_an_answers_header_adaptor() {
    DefaultHttpHeaders netty = new DefaultHttpHeaders();
    assertSame(netty, HopByHop.nettyHeaders(new HeadersAdaptor(netty)));
  }

  @Test
  void copies_an_answer_less_its_hop_by_hop_headers_and_those_connection_names() {
    DefaultHttpHeaders netty = new DefaultHttpHeaders();
    netty.add("Content-Type", "text/plain").add("Connection", "keep-alive, X-Hop").add("X-Hop", "1")
        .add("Keep-Alive", "timeout=5").add("Content-Length", "6").add("X-Kept", "a").add("X-Kept", "b");
    MultiMap to = MultiMap.caseInsensitiveMultiMap();
    HopByHop.copyResponse(new HeadersAdaptor(netty), to);
    assertEquals("text/plain", to.get("content-type"));
    assertEquals(java.util.List.of("a", "b"), to.getAll("X-Kept"));
    assertNull(to.get("Connection"));
    assertNull(to.get("X-Hop"));
    assertNull(to.get("Keep-Alive"));
    assertNull(to.get("Content-Length"));
    assertEquals(2, to.names().size());
  }
}

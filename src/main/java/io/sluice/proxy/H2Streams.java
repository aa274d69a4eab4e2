package io.sluice.proxy;

import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Stream;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * What HTTP/2 says about a request that Vert.x does not expose yet when the request handler runs: whether its
 * HEADERS frame ended the stream (a request without a body, whatever its method). Vert.x reports the end only
 * after the handler returned; Netty has already opened the stream half-closed.
 */
final class H2Streams {

  private H2Streams() {}

  /** Whether the client ended the request stream with its headers (or already closed it): no body follows. */
  static boolean endedWithHeaders(HttpServerRequest req) {
    if (req.isEnded()) {
      return true;
    }
    if (!(req.connection() instanceof ConnectionBase base)) {
      return false;
    }
    Http2ConnectionHandler handler = base.channel().pipeline().get(Http2ConnectionHandler.class);
    if (handler == null) {
      return false;
    }
    Http2Stream stream = handler.connection().stream(req.streamId());
    return stream == null || stream.state() == Http2Stream.State.HALF_CLOSED_REMOTE
        || stream.state() == Http2Stream.State.CLOSED;
  }
}

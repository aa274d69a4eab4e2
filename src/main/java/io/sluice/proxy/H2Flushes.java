package io.sluice.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * One write to the socket for the answers an HTTP/2 connection gets in one turn of its event loop. An answer
 * ends when its target's connection is read, not this one, so Vert.x flushes the client's connection at
 * each answer's end: a system call per answer (23.8% of the event loop's samples under h2load -m10,
 * 2026-12-05). Netty's {@link FlushConsolidationHandler}, put in front of the HTTP/2 handler, turns the
 * flushes of one turn into one, run as a task once the turn's I/O is done (and at once past 256 flushes).
 * Over TLS it also makes fewer, larger TLS records. The same holds for the proxy's HTTP/2 connections to targets,
 * which carry the requests of many clients: installed on both (h2c and h2 by ALPN to clients, h2 and h2c to
 * targets; bench/RESULTS.md has the figures).
 */
final class H2Flushes {

  static final String NAME = "sluiceFlushConsolidation";

  private H2Flushes() {}

  /** For a connection Vert.x hands over: consolidates when it is HTTP/2 (nothing for HTTP/1.x). */
  static void consolidate(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      consolidate(base.channel().pipeline());
    }
  }

  static void consolidate(ChannelPipeline pipeline) {
    ChannelHandlerContext h2 = pipeline.context(Http2ConnectionHandler.class);
    if (h2 != null && pipeline.get(NAME) == null) {
      pipeline.addBefore(h2.name(), NAME,
          new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
    }
  }
}

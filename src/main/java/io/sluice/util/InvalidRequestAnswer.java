package io.sluice.util;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The status line of the answer to an HTTP/1.x request the decoder could not read: {@code HTTP/1.1}, with
 * {@code Connection: close}. Netty stands an undecodable request in as {@code GET /bad-request HTTP/1.0} and Vert.x
 * answers in the request's version, so a client that spoke HTTP/1.1 got an {@code HTTP/1.0} answer (and a refused
 * HTTP/1.0 keep-alive request an answer saying {@code keep-alive} on a connection about to close). A server answers
 * in the highest version it speaks (RFC 9110 2.5), as nginx does for a request whose version it could not read.
 *
 * <p>The answer is written by Vert.x, whose response keeps the version to itself: a one-shot handler in front of
 * Vert.x's in the channel pipeline sets the version of the next response head, then leaves. This reaches into Vert.x
 * internals ({@code ConnectionBase}, the pipeline's {@code handler} and {@code httpEncoder}); the raw-socket tests
 * of the proxy, admin and stream listeners assert the status line, and fail if an upgrade changes them.
 */
public final class InvalidRequestAnswer {

  private static final String NAME = "sluiceInvalidRequestAnswer";
  private static final String VERSIONS = "sluiceOtherVersions";
  /** What Vert.x names its handler (the end of the pipeline) and its HTTP/1.x encoder. */
  private static final String VERTX_HANDLER = "handler";
  private static final String ENCODER = "httpEncoder";

  private InvalidRequestAnswer() {}

  /** Called from an {@code invalidRequestHandler} before it answers: the answer goes out as HTTP/1.1. */
  public static void inHttp11(HttpServerRequest request) {
    if (request.connection() instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(ENCODER) != null && pipeline.get(VERTX_HANDLER) != null && pipeline.get(NAME) == null) {
        pipeline.addBefore(VERTX_HANDLER, NAME, new Http11Head());
      }
    }
  }

  /**
   * For a listener on Vert.x's own decoder (admin, stream), from its {@code connectionHandler}: a request in another
   * version than HTTP/1.0 and 1.1 (Netty reads any {@code NAME/x.y}) is made an invalid request, which the listener's
   * invalid-request handler answers. Vert.x answered it 501 itself, with the client's version as the status line's
   * ({@code HTTQ/1.1 501 Not Implemented}). The proxy's strict decoder refuses such a request line already.
   */
  public static void refuseOtherVersions(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(ENCODER) != null && pipeline.get(VERTX_HANDLER) != null && pipeline.get(VERSIONS) == null) {
        pipeline.addBefore(VERTX_HANDLER, VERSIONS, new OtherVersions());
      }
    }
  }

  private static final class OtherVersions extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest r && r.decoderResult().isSuccess()
          && r.protocolVersion() != HttpVersion.HTTP_1_1 && r.protocolVersion() != HttpVersion.HTTP_1_0) {
        r.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("HTTP version not supported")));
      }
      ctx.fireChannelRead(msg);
    }
  }

  private static final class Http11Head extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse head) {
        head.setProtocolVersion(HttpVersion.HTTP_1_1);
        head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE); // the connection closes after it
        ctx.pipeline().remove(this);
      }
      ctx.write(msg, promise);
    }
  }
}

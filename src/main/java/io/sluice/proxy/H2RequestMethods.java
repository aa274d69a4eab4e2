package io.sluice.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Refuses an HTTP/2 request whose {@code :method} is not an RFC 9110 token with a stream error (RST_STREAM
 * PROTOCOL_ERROR, RFC 9113 8.1.1), before Vert.x reads the request. Vert.x (5.0) builds the method with Netty's
 * {@code HttpMethod.valueOf}, which throws on an empty one or one holding a space or a control byte: thrown from the
 * frame listener, that ended the whole connection with every stream in flight (and no GOAWAY); the methods it did
 * take (such as {@code G(T}) would have gone to the target as they were. Used for every HTTP/2 server connection of
 * the proxy, h2c with prior knowledge and h2 by ALPN over TLS alike.
 */
final class H2RequestMethods {

  private H2RequestMethods() {}

  /** For a connection Vert.x hands over: guards it when it is HTTP/2 (nothing for HTTP/1.x). */
  static void guard(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      guard(base.channel().pipeline().get(Http2ConnectionHandler.class));
    }
  }

  static void guard(Http2ConnectionHandler h2) {
    if (h2 == null) {
      return;
    }
    H2MalformedStreams.install(h2);
    h2.decoder().frameListener(new Http2FrameListenerDecorator(h2.decoder().frameListener()) {
      @Override
      public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                boolean endOfStream) throws Http2Exception {
        check(streamId, headers);
        super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
      }

      @Override
      public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                                short weight, boolean exclusive, int padding, boolean endOfStream)
          throws Http2Exception {
        check(streamId, headers);
        super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding, endOfStream);
      }
    });
  }

  /**
   * Trailers carry no :method; a missing one is Vert.x's to refuse (it does, with the same stream error). A
   * {@code :protocol} (extended CONNECT, RFC 8441) is malformed on a connection whose SETTINGS did not enable it,
   * and Sluice never does (RFC 8441 section 4, RFC 9113 8.1.1); let through, it reached the copy of the headers
   * towards the target, which threw, and the stream hung with a pooled connection held.
   */
  private static void check(int streamId, Http2Headers headers) throws Http2Exception {
    CharSequence method = headers.method();
    if (method != null && !isToken(method)) {
      throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR, ":method is not a token");
    }
    if (method != null && headers.contains(PROTOCOL)) {
      throw Http2Exception.streamError(streamId, Http2Error.PROTOCOL_ERROR,
          ":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL");
    }
  }

  private static final String PROTOCOL = ":protocol";

  /** 1*tchar (RFC 9110 5.6.2). */
  static boolean isToken(CharSequence s) {
    if (s.length() == 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean tchar = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return true;
  }
}

package io.sluice.proxy;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.util.AsciiString;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Vert.x's request decoder, made strict where Netty is lenient: Netty quietly drops Content-Length when
 * Transfer-Encoding is also present (RFC 9112 allows that), which lets a smuggling attempt through as a
 * well-formed chunked request. A gateway refuses it instead: the decoder fails the request, so it is
 * answered 400 and its connection closed before anything reaches a target.
 *
 * <p>Installed in place of Vert.x's own decoder when a connection opens, before any byte is decoded. This
 * reaches into Vert.x internals ({@code VertxHttpRequestDecoder}, {@code ConnectionBase}); the raw-socket
 * tests fail loudly if an upgrade changes them.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

  /** The name Vert.x gives its decoder in the channel pipeline. */
  private static final String DECODER = "httpDecoder";

  StrictRequestDecoder(HttpServerOptions options) {
    super(options);
  }

  /** Content-Length fields in the message being decoded; reset when a new message starts. */
  private int contentLengths;

  @Override
  protected HttpMessage createMessage(String[] initialLine) {
    contentLengths = 0;
    return super.createMessage(initialLine);
  }

  /**
   * Counts Content-Length fields as they are read: Netty keeps the first of several for HTTP/1.0 (and folds
   * equal ones for 1.1), which would let two parsers disagree on where the body ends.
   */
  @Override
  protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
    AsciiString name = super.splitHeaderName(sb, start, length);
    if (name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH) && ++contentLengths > 1) {
      throw new IllegalArgumentException("more than one Content-Length");
    }
    return name;
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("both Content-Length and Transfer-Encoding");
  }

  /** Swaps the strict decoder in on a new HTTP/1.x connection. */
  static void install(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(DECODER) != null) {
        pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options));
      }
    }
  }
}

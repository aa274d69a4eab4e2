package io.sluice.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2FrameReader;
import io.netty.handler.codec.http2.Http2HeadersDecoder;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty ends a whole HTTP/2 connection (GOAWAY) when a header list passes 1.25 times the advertised limit, taking
 * every other stream down with it; a stream error (431) is enough up to {@value #GOAWAY_FACTOR} times the limit.
 * Up to that bound Netty now lets the request through and {@link H2Limits} answers the 431 on the proxy's error
 * path (Netty's own 431 has no gRPC status).
 * Used for every HTTP/2 server connection of the proxy: h2c with prior knowledge and h2 by ALPN over TLS alike.
 * Netty resets the bound whenever our SETTINGS are acknowledged, so it is set again after each.
 */
final class H2HeaderBound {

  private static final Logger LOG = LoggerFactory.getLogger(H2HeaderBound.class);
  /** A header list this many times proxy.max_header_bytes closes the connection; below, only its stream fails. */
  static final long GOAWAY_FACTOR = 4;
  private static final Field DELEGATE;
  private static final Field FRAME_READER;

  static {
    try {
      DELEGATE = DecoratingHttp2ConnectionDecoder.class.getDeclaredField("delegate");
      DELEGATE.setAccessible(true);
      FRAME_READER = DefaultHttp2ConnectionDecoder.class.getDeclaredField("frameReader");
      FRAME_READER.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private H2HeaderBound() {}

  /** For a connection Vert.x hands over: widens the bound when it is HTTP/2 (nothing for HTTP/1.x). */
  static void widen(HttpConnection connection, HttpServerOptions options) {
    if (connection instanceof ConnectionBase base) {
      widen(base.channel().pipeline().get(Http2ConnectionHandler.class), options);
    }
  }

  static void widen(Http2ConnectionHandler h2, HttpServerOptions options) {
    if (h2 == null) {
      return;
    }
    long max = options.getInitialSettings().getMaxHeaderListSize();
    Http2HeadersDecoder.Configuration headers;
    try {
      Object decoder = h2.decoder();
      while (decoder instanceof DecoratingHttp2ConnectionDecoder) {
        decoder = DELEGATE.get(decoder);
      }
      headers = ((Http2FrameReader) FRAME_READER.get(decoder)).configuration().headersConfiguration();
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot widen the HTTP/2 header list bound: {}", e.toString());
      return;
    }
    Runnable widen = () -> {
      try {
        // The stream's bound is the proxy's own (H2Limits: a 431 a gRPC client can read); Netty keeps the GOAWAY.
        headers.maxHeaderListSize(max * GOAWAY_FACTOR, max * GOAWAY_FACTOR);
      } catch (Http2Exception e) {
        LOG.debug("cannot widen the header list bound: {}", e.toString());
      }
    };
    widen.run();
    h2.decoder().frameListener(new Http2FrameListenerDecorator(h2.decoder().frameListener()) {
      @Override
      public void onSettingsAckRead(ChannelHandlerContext ctx) throws Http2Exception {
        widen.run(); // the decoder applied our settings (and Netty's 1.25 bound) just before this
        super.onSettingsAckRead(ctx);
      }
    });
  }
}

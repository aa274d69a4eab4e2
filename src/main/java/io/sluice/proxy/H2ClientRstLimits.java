package io.sluice.proxy;

import io.netty.handler.codec.http2.DecoratingHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lifts the server's "rapid reset" limits off the proxy's HTTP/2 connections to targets. Vert.x 5.0 builds its
 * client's HTTP/2 handler without telling Netty's builder it is a client, so Netty gives the client the limits it
 * gives servers: a connection that sends more than 200 RST_STREAM frames in 30 seconds, or receives more than 200,
 * closes itself with ENHANCE_YOUR_CALM. A proxy sends resets for every client that gives up and Netty sends one
 * for each frame a target sends on a stream reset before (STREAM_CLOSED), so under clients cancelling requests
 * the proxy closed its own connections to healthy targets, failing every request on them and opening the
 * targets' breakers (h2load stopping 500 streams at once, 2026-12-05). These limits defend a server against its
 * clients; towards targets Netty's own client default is none, and this restores it.
 */
final class H2ClientRstLimits {

  private static final Logger LOG = LoggerFactory.getLogger(H2ClientRstLimits.class);
  private static final String ENCODER = "io.netty.handler.codec.http2.Http2MaxRstFrameLimitEncoder";
  private static final String LISTENER = "io.netty.handler.codec.http2.Http2MaxRstFrameListener";
  private static final String LIMIT = "maxRstFramesPerWindow";
  private static final Field ENCODER_DELEGATE = field(DecoratingHttp2ConnectionEncoder.class, "delegate");
  private static final Field DECODER_DELEGATE = field(DecoratingHttp2ConnectionDecoder.class, "delegate");

  private H2ClientRstLimits() {}

  /** For a connection to a target that Vert.x hands over: lifts the limits when it is HTTP/2. */
  static void lift(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      Http2ConnectionHandler h2 = base.channel().pipeline().get(Http2ConnectionHandler.class);
      if (h2 != null) {
        lift(h2);
      }
    }
  }

  /** Returns how many limits were lifted (0 when Netty no longer installs them on clients). */
  static int lift(Http2ConnectionHandler h2) {
    int lifted = 0;
    try {
      for (Http2ConnectionEncoder e = h2.encoder(); e != null; ) {
        if (e.getClass().getName().equals(ENCODER)) {
          lifted += unlimit(e);
        }
        e = e instanceof DecoratingHttp2ConnectionEncoder ? (Http2ConnectionEncoder) ENCODER_DELEGATE.get(e) : null;
      }
      for (Http2ConnectionDecoder d = h2.decoder(); d != null; ) {
        Object listener = d.frameListener();
        if (listener != null && listener.getClass().getName().equals(LISTENER)) {
          lifted += unlimit(listener);
        }
        d = d instanceof DecoratingHttp2ConnectionDecoder ? (Http2ConnectionDecoder) DECODER_DELEGATE.get(d) : null;
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("cannot lift the RST_STREAM limits of an HTTP/2 connection to a target: {}", e.toString());
    }
    return lifted;
  }

  private static int unlimit(Object limiter) throws ReflectiveOperationException {
    Field f = limiter.getClass().getDeclaredField(LIMIT);
    f.setAccessible(true);
    f.setInt(limiter, Integer.MAX_VALUE);
    return 1;
  }

  private static Field field(Class<?> type, String name) {
    try {
      Field f = type.getDeclaredField(name);
      f.setAccessible(true);
      return f;
    } catch (NoSuchFieldException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
}
